"""Request bodies: a body declared larger than its sender may send is refused with 413
before a byte of it is read; signed-in people may upload up to the import limit."""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tenancy.middleware import RequestBodyLimitMiddleware

MIB = 1024 * 1024
BOUNDARY = "XyZboundary"


class HugeMultipart(io.RawIOBase):
    """A multipart body of ``size`` bytes made up as it is read; ``pos`` says how much was."""

    def __init__(self, size: int, *, file_part: bool):
        disposition = ('form-data; name="upload"; filename="big.bin"\r\n'
                       "Content-Type: application/octet-stream") if file_part \
            else 'form-data; name="password"'
        self.head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
                     f"abe\r\n--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n").encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size, self.pos = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.pos)
        chunk = bytearray()
        while len(chunk) < n:
            at = self.pos + len(chunk)
            if at < len(self.head):
                chunk += self.head[at:at + n - len(chunk)]
            elif at < self.size - len(self.tail):
                chunk += b"x" * min(n - len(chunk), self.size - len(self.tail) - at)
            else:
                rest = at - (self.size - len(self.tail))
                chunk += self.tail[rest:rest + n - len(chunk)]
        buffer[:n] = chunk
        self.pos += n
        return n


def _post_huge(client, path, size, *, file_part=True):
    body = HugeMultipart(size, file_part=file_part)
    client.cookies["csrftoken"] = "a" * 32  # so the CSRF check would read the form
    started = time.perf_counter()
    response = client.generic("POST", path, **{
        "wsgi.input": io.BufferedReader(body), "CONTENT_LENGTH": str(size),
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
    })
    return response, body.pos, time.perf_counter() - started


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/",
                                  "/accounts/password_reset/"])
@pytest.mark.parametrize("file_part", [True, False])
def test_a_61_mb_post_without_signing_in_is_413_unread(db, client, path, file_part):
    response, read, seconds = _post_huge(client, path, 61 * MIB, file_part=file_part)

    assert response.status_code == 413
    assert response.content.decode() == (
        "The request body (63,963,136 bytes) is over the limit of 10,485,760 bytes.")
    assert read == 0
    assert seconds < 1


def test_a_body_within_the_limit_still_reaches_the_login_page(db, client):
    response, read, _ = _post_huge(client, "/accounts/login/", 64 * 1024, file_part=False)

    assert response.status_code == 200  # read whole; the login form answers it
    assert response.context["form"].data["username"] == "abe"
    assert read == 64 * 1024


@pytest.fixture
def small_limits(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * MIB
    settings.WORK_IMPORT_MAX_UPLOAD_BYTES = 3 * MIB


def _import(client, tenant, size):
    csv = b"external_id,kind\n" + b"x" * (size - 17)
    return client.post(tenant.url("work/import/"),
                       {"file": SimpleUploadedFile("items.csv", csv, "text/csv")})


def test_signed_in_people_may_upload_up_to_the_import_limit(tenant_a, login, small_limits):
    client = login(tenant_a.member(roles=["org_admin"]))

    accepted = _import(client, tenant_a, 2 * MIB)
    refused = _import(client, tenant_a, 5 * MIB)

    assert accepted.status_code in (200, 302)  # the import page decides about the file
    assert refused.status_code == 413
    assert refused.content.decode().endswith(
        f"is over the limit of {4 * MIB:,} bytes.")


def test_a_big_form_without_a_file_is_400_even_signed_in(tenant_a, login, small_limits):
    client = login(tenant_a.member(roles=["org_admin"]))

    response = client.post(tenant_a.url("settings/"), {"name": "x" * (2 * MIB)})

    assert response.status_code == 400


def test_a_signed_out_visitor_gets_the_small_limit(rf, small_limits):
    from django.contrib.auth.models import AnonymousUser

    request = rf.post("/accounts/login/")
    request.user = AnonymousUser()

    assert RequestBodyLimitMiddleware.limit_for(request) == 1 * MIB


def test_the_api_keeps_its_own_json_413(tenant_a, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    from tenancy.services import create_api_token

    with tenant_a.scope():
        token = create_api_token(organization=tenant_a.org, name="Sync")[1]

    response = client.post("/api/v1/work-items", {"external_id": "A", "description": "x" * 3000},
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is over the limit of 2,048 bytes; send smaller batches."}
