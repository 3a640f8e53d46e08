"""Work pages: permission matrix, filters, constant query counts, and the CSV upload job."""

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from skills.services import save_skill
from work import extensions, services
from work.models import WorkImport, WorkItem


@pytest.fixture(autouse=True)
def free_skill_names():
    with extensions.skill_catalog.replaced():
        yield


def seed(tenant, count: int, **fields):
    items = [{"external_id": f"X{tenant.org.slug}{i}", "kind": "incident",
              "opened_at": datetime(2025, 3, 1 + i % 20, 9, tzinfo=UTC), **fields}
             for i in range(count)]
    with tenant.scope():
        services.upsert_work_items(organization=tenant.org, items=items)
        return list(WorkItem.objects.order_by("external_id"))


# --- permission matrix -------------------------------------------------------------------


@pytest.mark.parametrize("page", ["work/", "work/{pk}/"])
def test_work_pages_permission_matrix(login, client, tenant_a, tenant_b, page):
    item = seed(tenant_a, 1)[0]
    url = tenant_a.url(page.format(pk=item.pk))
    coach = tenant_a.member(roles=["coach"])
    assert login(coach).get(url).status_code == 200
    client.logout()
    agent = tenant_a.member(roles=["agent"])
    assert login(agent).get(url).status_code == 403
    client.logout()
    outsider = tenant_b.member(roles=["org_admin"])
    assert login(outsider).get(url).status_code == 404


def test_work_item_of_another_tenant_is_404(login, tenant_a, tenant_b):
    item_b = seed(tenant_b, 1)[0]
    coach = tenant_a.member(roles=["coach"])
    assert login(coach).get(tenant_a.url(f"work/{item_b.pk}/")).status_code == 404


@pytest.mark.parametrize("page", ["work/import/", "work/import/{pk}/"])
def test_import_pages_permission_matrix(login, client, tenant_a, tenant_b, page):
    admin = tenant_a.member(roles=["org_admin"])
    with tenant_a.scope():
        work_import = services.start_work_import(
            organization=tenant_a.org, upload=ContentFile(b"external_id\n", name="a.csv"),
            created_by=admin,
        )
    url = tenant_a.url(page.format(pk=work_import.pk))
    assert login(admin).get(url).status_code == 200
    client.logout()
    coach = tenant_a.member(roles=["coach"])
    assert login(coach).get(url).status_code == 403
    client.logout()
    outsider = tenant_b.member(roles=["org_admin"])
    assert login(outsider).get(url).status_code == 404


# --- list ---------------------------------------------------------------------------------


def test_work_list_query_count_is_constant(login, tenant_a, django_assert_num_queries):
    coach = tenant_a.member(roles=["coach"])
    agent = tenant_a.member(roles=["agent"], username="ana")
    tenant_a.team(name="Desk", members=[agent])
    seed(tenant_a, 3, team="Desk", assigned_to="ana")
    client = login(coach)
    url = tenant_a.url("work/")
    client.get(url)  # warm the session
    with django_assert_num_queries(11) as few:  # 12 with the agents select
        assert client.get(url).status_code == 200
    seed(tenant_a, 60, team="Desk", assigned_to="ana")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 50


def test_work_list_filters_and_search(login, tenant_a):
    coach = tenant_a.member(roles=["coach"])
    ana = tenant_a.member(roles=["agent"], username="ana")
    bob = tenant_a.member(roles=["agent"], username="bob")
    desk = tenant_a.team(name="Desk", members=[ana, bob])
    with tenant_a.scope():
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "A", "kind": "incident", "state": "resolved", "team": "Desk",
             "assigned_to": "ana", "short_description": "VPN drops",
             "opened_at": "2025-03-01T10:00:00Z", "resolved_at": "2025-03-02T10:00:00Z"},
            {"external_id": "B", "kind": "call", "state": "new", "assigned_to": "bob",
             "short_description": "Refund", "opened_at": "2025-03-05T10:00:00Z"},
            {"external_id": "C", "kind": "incident", "state": "new", "team": "Desk",
             "short_description": "VPN slow", "opened_at": "2025-02-01T10:00:00Z"},
        ])
    client = login(coach)

    def ids(**params):
        response = client.get(tenant_a.url("work/"), params)
        assert response.status_code == 200
        return sorted(i.external_id for i in response.context["page"].object_list)

    assert ids() == ["A", "B", "C"]
    assert ids(kind="incident") == ["A", "C"]
    assert ids(state="new") == ["B", "C"]
    assert ids(team=desk.pk) == ["A", "C"]
    assert ids(agent=bob.pk) == ["B"]
    assert ids(q="vpn") == ["A", "C"]
    assert ids(opened_from="2025-03-01", opened_to="2025-03-04") == ["A"]
    assert ids(resolved_from="2025-03-02", resolved_to="2025-03-02") == ["A"]


def test_work_list_htmx_returns_only_the_results(login, tenant_a):
    coach = tenant_a.member(roles=["coach"])
    seed(tenant_a, 2)
    response = login(coach).get(tenant_a.url("work/"), {"kind": "incident"},
                                headers={"HX-Request": "true", "HX-Target": "work-results"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="work-results"')
    assert "<html" not in html
    assert "2 work items match the filters" in html


def test_work_detail_shows_fields_skills_and_history(login, tenant_a):
    coach = tenant_a.member(roles=["coach"])
    with tenant_a.scope():
        save_skill(organization=tenant_a.org, name="Exchange")
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "INC9", "number": "INC0009", "kind": "incident",
             "short_description": "Mailbox full", "skills": [{"name": "Exchange",
                                                              "minimum_level": 2}]}])
        services.upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "INC9", "state": "resolved"}])
        item = WorkItem.objects.get()
    html = login(coach).get(tenant_a.url(f"work/{item.pk}/")).content.decode()
    assert "Mailbox full" in html
    assert "Exchange" in html and "level 2 or higher" in html
    assert html.count('class="list-group-item"') == 2  # created + resolved events
    assert "Resolved" in html and "waiting to be processed" in html


# --- CSV upload job ----------------------------------------------------------------------


def upload(client, tenant, content: bytes, **extra):
    return client.post(tenant.url("work/import/"), {
        "file": SimpleUploadedFile("items.csv", content, content_type="text/csv"), **extra,
    })


def test_upload_queues_job_that_imports_all_or_nothing(
    login, tenant_a, django_capture_on_commit_callbacks
):
    admin = tenant_a.member(roles=["org_admin"])
    client = login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, tenant_a, b"external_id,kind\nI1,incident\nI2,chat\n")
    with scopes_disabled():
        work_import = WorkImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == tenant_a.url(f"work/import/{work_import.pk}/")
    assert len(callbacks) == 1
    queued = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "Waiting for a worker" in queued and 'hx-trigger="every 1s"' in queued
    with tenant_a.scope():  # what the Celery job does
        services.run_work_import(work_import_id=work_import.pk)
        assert services.run_work_import(work_import_id=work_import.pk) is None  # runs once
        assert sorted(WorkItem.objects.values_list("external_id", flat=True)) == ["I1", "I2"]
    page = client.get(response["Location"]).content.decode()
    assert "Imported: created 2, updated 0, unchanged 0 of 2 rows" in page
    assert "every 1s" not in page


def test_upload_is_stored_on_disk_first_and_deleted_when_imported(
    login, tenant_a, settings, media_root, django_capture_on_commit_callbacks
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django spools this upload to a temp file
    content = b"external_id,kind\n" + b"".join(b"I%d,incident\n" % i for i in range(2000))
    client = login(tenant_a.member(roles=["org_admin"]))
    with django_capture_on_commit_callbacks(execute=False):
        upload(client, tenant_a, content)
    with tenant_a.scope():
        work_import = WorkImport.objects.get()
    stored = Path(media_root) / work_import.file.name
    assert work_import.file.name.startswith(f"work-imports/{tenant_a.org.pk}/")
    assert (stored.read_bytes(), work_import.size, work_import.status) == (
        content, len(content), "queued"
    )
    with tenant_a.scope():
        services.run_work_import(work_import_id=work_import.pk)
        work_import.refresh_from_db()
        assert WorkItem.objects.count() == 2000
    assert (work_import.status, work_import.created_count, work_import.file.name) == (
        "succeeded", 2000, ""
    )
    assert not stored.exists()


def test_start_work_import_copies_a_big_upload_in_chunks(tenant_a, tmp_path):
    """An 8 MiB upload is copied to MEDIA_ROOT without being read into memory."""
    source = tmp_path / "big.csv"
    with source.open("wb") as out:
        out.write(b"external_id,kind\n")
        for i in range(8):
            out.write(b"".join(b"X%07d,incident\n" % (i * 60_000 + n) for n in range(60_000))[
                : 1024 * 1024])
    size = source.stat().st_size
    tracemalloc.start()
    try:
        with tenant_a.scope(), source.open("rb") as stream:
            work_import = services.start_work_import(
                organization=tenant_a.org, upload=File(stream, name="big.csv"),
            )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (work_import.size, work_import.file.size) == (size, size)
    assert size > 8_000_000
    assert peak < 1_000_000


def test_import_status_page_reads_the_database_when_the_cache_is_down(
    login, tenant_a, settings, django_capture_on_commit_callbacks
):
    client = login(tenant_a.member(roles=["org_admin"]))
    with django_capture_on_commit_callbacks(execute=False):
        response = upload(client, tenant_a, b"external_id,kind\nI1,incident\n")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # nothing listens
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Waiting for a worker" in page.content.decode()
    with tenant_a.scope():
        work_import = services.run_work_import(
            work_import_id=WorkImport.objects.get().pk
        )
    assert work_import.status == "succeeded"
    page = client.get(response["Location"], headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "Imported: created 1, updated 0, unchanged 0 of 1 rows" in page.content.decode()


def test_upload_with_errors_lists_them_and_writes_nothing(login, tenant_a):
    admin = tenant_a.member(roles=["org_admin"])
    client = login(admin)
    upload(client, tenant_a, b"external_id,kind,opened_at\nI1,incident,soon\nI2,fax,\n")
    with tenant_a.scope():
        work_import = WorkImport.objects.get()
        services.run_work_import(work_import_id=work_import.pk)
        assert WorkItem.objects.count() == 0
        work_import.refresh_from_db()
    assert work_import.status == "failed"
    assert work_import.file.name == ""  # the stored upload is deleted when the job ends
    assert work_import.errors == [
        {"line": 2, "column": "opened_at",
         "message": "“soon” is not an ISO 8601 date and time (such as 2025-03-01T09:30:00Z)."},
        {"line": 3, "column": "kind", "message": "“fax” is not a kind; use one of: incident, "
                                                 "problem, change, request, case, call, chat, "
                                                 "email."},
    ]
    page = client.get(tenant_a.url(f"work/import/{work_import.pk}/")).content.decode()
    assert "Nothing was imported: the file has 2 errors" in page
    assert "“soon” is not an ISO 8601 date" in page


def test_upload_refuses_empty_and_oversized_files(login, tenant_a, settings):
    admin = tenant_a.member(roles=["org_admin"])
    client = login(admin)
    settings.WORK_IMPORT_MAX_UPLOAD_BYTES = 10
    response = upload(client, tenant_a, b"external_id,kind\nI1,incident\n")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is 29 bytes; uploads are limited to 10 bytes. Use manage.py "
        "import_work_items for larger files."
    ]
    with scopes_disabled():
        assert WorkImport.objects.count() == 0
