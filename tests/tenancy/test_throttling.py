"""Brakes on guessing: wrong passwords lock a username from one address (login page and
Django admin, unlocked by an org admin), and bad API tokens get 429 after a burst."""

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client

from tenancy.services import create_api_token
from tenancy.throttling import client_ip
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"
HOME = "198.51.100.7"
ELSEWHERE = "198.51.100.8"
LOCKED = "Too many failed sign-ins for this account from your network"


def _sign_in(client, username, password, *, ip=HOME, url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def people(tenant_a, tenant_b):
    return {
        "agent": tenant_a.member(roles=["agent"], username="abe"),
        "admin": tenant_a.member(roles=["org_admin"], username="ada", is_staff=True),
        "outsider": tenant_b.member(roles=["agent"], username="bill"),
        "other_admin": tenant_b.member(roles=["org_admin"], username="bea", is_staff=True),
    }


def _lock(username, *, ip=HOME, tries=5):
    client = Client()
    for _ in range(tries):
        _sign_in(client, username, "wrong-password", ip=ip)


# --- the login page ----------------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(people, client):
    answers = [_sign_in(client, "abe", f"guess-{i}").status_code for i in range(30)]

    # Four wrong answers, then the lock: the rest are refused without checking.
    assert answers == [200] * 4 + [429] * 26
    refused = _sign_in(client, "abe", PASSWORD)
    assert refused.status_code == 429
    assert not _signed_in(client)
    html = refused.content.decode()
    assert LOCKED in html
    assert "about 15 minutes" in html
    assert 900 - 5 <= int(refused["Retry-After"]) <= 900
    assert 'value="abe"' in html  # the form is there again, with the username kept
    assert AccessAttempt.objects.get().failures_since_start == 5


def test_the_lock_is_per_username_and_address(people, client):
    _lock("abe")

    # The same person from another address, and another person from the same address.
    assert _sign_in(client, "abe", PASSWORD, ip=ELSEWHERE).status_code == 302
    client.logout()
    assert _sign_in(client, "ada", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off_and_success_resets_the_count(people, client):
    _lock("abe")
    assert _sign_in(client, "abe", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time
                                 - timedelta(minutes=16))

    assert _sign_in(client, "abe", PASSWORD).status_code == 302
    assert _signed_in(client)
    assert AccessAttempt.objects.count() == 0


def test_fewer_wrong_passwords_than_the_limit_still_let_the_right_one_in(people, client):
    _lock("abe", tries=4)

    assert _sign_in(client, "abe", PASSWORD).status_code == 302


def test_the_limit_and_the_pause_come_from_the_settings(people, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=3)

    answers = [_sign_in(client, "abe", "nope").status_code for _ in range(2)]

    assert answers == [200, 429]
    assert "about 3 minutes" in _sign_in(client, "abe", PASSWORD).content.decode()


def test_the_django_admin_login_is_throttled_too(people, client):
    for _ in range(5):
        _sign_in(client, "ada", "wrong-password", url="/admin/login/")

    refused = _sign_in(client, "ada", PASSWORD, url="/admin/login/")

    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert not _signed_in(client)


# --- unlocking in the admin --------------------------------------------------------------


def test_org_admin_sees_and_unlocks_only_their_members(people, client):
    _lock("abe")
    _lock("bill")
    _lock("nobody-at-all")
    client.force_login(people["admin"])

    listed = client.get("/admin/axes/accessattempt/").context["cl"].result_list
    assert [a.username for a in listed] == ["abe"]
    bill = AccessAttempt.objects.get(username="bill")
    assert client.get(f"/admin/axes/accessattempt/{bill.pk}/change/").status_code == 302
    response = client.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [a.pk for a in AccessAttempt.objects.all()],
    })

    assert response.status_code == 302
    assert sorted(AccessAttempt.objects.values_list("username", flat=True)) == [
        "bill", "nobody-at-all"]
    client.logout()
    assert _sign_in(client, "abe", PASSWORD).status_code == 302


def test_superuser_sees_every_attempt_and_agents_none(people, client, tenant_a):
    _lock("abe")
    _lock("nobody-at-all")
    root = tenant_a.member(roles=["agent"], username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert sorted(a.username for a in client.get(
        "/admin/axes/accessattempt/").context["cl"].result_list) == ["abe", "nobody-at-all"]

    client.force_login(people["agent"])
    assert client.get("/admin/axes/accessattempt/").status_code == 302  # to the admin login


def test_another_tenants_admin_cannot_unlock_our_member(people, client):
    _lock("abe")
    client.force_login(people["other_admin"])

    assert list(client.get("/admin/axes/accessattempt/").context["cl"].result_list) == []
    client.post("/admin/axes/accessattempt/", {
        "action": "unlock", "_selected_action": [AccessAttempt.objects.get().pk]})
    assert AccessAttempt.objects.count() == 1


# --- API tokens --------------------------------------------------------------------------


@pytest.fixture
def api(tenant_a, settings):
    """A good token, a limit of 5 bad ones a minute, and addresses no other test uses."""
    settings.API_TOKEN_FAILURE_LIMIT = 5
    settings.API_TOKEN_FAILURE_WINDOW_SECONDS = 60
    with tenant_a.scope():
        token = create_api_token(organization=tenant_a.org, name="Sync")[1]
    suffix = uuid.uuid4().int
    addresses = [f"2001:db8::{(suffix + i) % 65536:x}" for i in range(2)]
    for address in addresses:
        cache.delete_many([f"coachdesk:api-bad-token:{address}",
                           f"coachdesk:api-bad-token:{address}:until"])
    return token, addresses


def _get(client, token, ip):
    return client.get("/api/v1/skills", headers={"Authorization": f"Bearer {token}"},
                      REMOTE_ADDR=ip)


def test_a_burst_of_bad_tokens_gets_429_and_a_good_token_elsewhere_still_works(api, client):
    token, (attacker, neighbour) = api

    answers = [_get(client, f"cd_guess{i}", attacker).status_code for i in range(7)]

    assert answers == [401] * 5 + [429] * 2
    throttled = _get(client, token, attacker)  # even a good token: no more tries from there
    assert throttled.status_code == 429
    assert 55 <= int(throttled["Retry-After"]) <= 60
    assert throttled.json() == {
        "detail": "Too many requests with an invalid API token from your address; "
                  f"try again in {throttled['Retry-After']} seconds."}
    assert _get(client, token, neighbour).status_code == 200
    assert _get(client, "cd_wrong", neighbour).status_code == 401


def test_good_tokens_and_missing_headers_do_not_count(api, client):
    token, (address, _) = api

    for _ in range(10):
        assert _get(client, token, address).status_code == 200
        assert client.get("/api/v1/skills", REMOTE_ADDR=address).status_code == 401

    assert _get(client, "cd_wrong", address).status_code == 401


def test_openapi_documents_the_429_with_retry_after(client):
    schema = client.get("/api/v1/openapi.json").json()

    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert operations
    for operation in operations:
        answer = operation["responses"]["429"]
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
        assert answer["content"]["application/json"]["schema"]["required"] == ["detail"]


# --- the client's address ------------------------------------------------------------------


@pytest.mark.parametrize("proxies, forwarded, expected", [
    (0, "203.0.113.9", "10.0.0.2"),                   # no trusted proxy: the header is ignored
    (1, "203.0.113.9", "203.0.113.9"),
    (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),       # a client's own header is skipped
    (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
    (1, "not-an-address", "10.0.0.2"),
    (2, "203.0.113.9", "10.0.0.2"),                   # fewer hops than proxies
])
def test_client_ip_trusts_only_the_configured_proxies(rf, settings, proxies, forwarded,
                                                      expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
