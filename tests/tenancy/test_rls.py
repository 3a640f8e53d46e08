"""Row-level security: what the database refuses when the application forgets.

These run on PostgreSQL as a role that is neither superuser nor BYPASSRLS (CI connects as
``coachdesk_owner``; see the README). On SQLite there is no RLS to test.
"""

import psycopg
import pytest
from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django_scopes import scope, scopes_disabled

from tenancy import rls
from tenancy.background import TenantTask
from tenancy.middleware import RowLevelSecurityMiddleware, TenantMiddleware
from tenancy.models import Membership, Organization, Team
from work.models import WorkItem

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row-level security is PostgreSQL's")


@pytest.fixture(autouse=True, scope="module")
def _not_a_bypassing_role(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        facts = rls.connection_role_facts()
    assert not (facts["superuser"] or facts["bypassrls"]), (
        f"The tests connect as {facts['user']}, which ignores row-level security: run them "
        "as a non-superuser role (README: DATABASE_URL=postgres://coachdesk_owner@…)."
    )


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _work_item(tenant, number: str, **fields) -> WorkItem:
    with scopes_disabled():
        return WorkItem.objects.create(organization=tenant.org, external_id=number,
                                       number=number, kind="incident", **fields)


def test_every_table_with_an_organization_has_forced_rls_and_both_policies(db):
    assert rls.tables_without_policy() == []
    tables = rls.tenant_tables()
    assert len(tables) >= 60
    assert {"work_workitem", "tenancy_membership", "quality_evaluation",
            "privacy_accessrecord"} <= set(tables)


def test_a_table_created_without_the_policy_is_listed_until_synced(db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE rls_probe (id bigint, organization_id bigint)")
    assert rls.tables_without_policy() == ["rls_probe"]
    assert rls.sync_policies() == ["rls_probe"]
    assert rls.tables_without_policy() == []


def test_raw_sql_with_no_tenant_sees_no_row_of_any_tenant_table(demo_db):
    with rls.platform("the test counts every tenant's rows"):
        seen = {table: _count(table) for table in rls.tenant_tables()}
    filled = [table for table, rows in seen.items() if rows]
    assert len(filled) >= 40, filled  # the demo fills most tables: the test can fail

    with rls.entry(), scopes_disabled():
        assert {table: _count(table) for table in filled} == dict.fromkeys(filled, 0)


def test_with_tenant_a_set_rows_of_tenant_b_cannot_be_written(tenant_a, tenant_b):
    mine = _work_item(tenant_a, "INC-A1")
    theirs = _work_item(tenant_b, "INC-B1")

    with rls.entry(), rls.tenant(tenant_a.org), connection.cursor() as cursor:
        cursor.execute("UPDATE work_workitem SET short_description = 'changed' WHERE id = %s",
                       [theirs.pk])
        assert cursor.rowcount == 0  # invisible, so untouched
        cursor.execute("DELETE FROM work_workitem WHERE id = %s", [theirs.pk])
        assert cursor.rowcount == 0
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute(
                "INSERT INTO tenancy_team (organization_id, name, description) "
                "VALUES (%s, 'Planted', '')", [tenant_b.org.pk])
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            cursor.execute("UPDATE work_workitem SET organization_id = %s WHERE id = %s",
                           [tenant_b.org.pk, mine.pk])
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            WorkItem.objects.create(organization=tenant_b.org, external_id="INC-B2",
                                    number="INC-B2", kind="incident")

    with scopes_disabled():
        theirs.refresh_from_db()
        assert (theirs.short_description, WorkItem.objects.filter(number="INC-B2").count(),
                Team.objects.filter(name="Planted").count()) == ("", 0, 0)


def _buggy_view_forcing_scope(other_organization, seen):
    """A view with the bug RLS exists for: it forces the ORM scope to another tenant."""

    def view(request):
        with scope(organization=other_organization):
            seen["items"] = sorted(WorkItem.objects.values_list("number", flat=True))
            seen["memberships"] = Membership.objects.count()
        with scopes_disabled():
            seen["unscoped"] = sorted(WorkItem.objects.values_list("number", flat=True))
        return HttpResponse("ok")

    return view


def test_a_request_of_tenant_a_whose_scope_is_forced_to_b_sees_nothing_of_b(
    tenant_a, tenant_b
):
    user = tenant_a.member(roles=["org_admin"])
    tenant_b.member(roles=["agent"])
    _work_item(tenant_a, "INC-A1")
    _work_item(tenant_b, "INC-B1")
    seen = {}
    stack = RowLevelSecurityMiddleware(
        TenantMiddleware(_buggy_view_forcing_scope(tenant_b.org, seen)))
    request = RequestFactory().get(tenant_a.url("work/"))
    request.user = user
    request.session = {}

    response = stack(request)

    assert response.status_code == 200
    assert seen == {"items": [], "memberships": 0, "unscoped": ["INC-A1"]}


def test_the_same_buggy_view_without_rls_would_have_leaked(tenant_a, tenant_b):
    """The control: under the platform bypass the forced scope does see tenant B, so the
    test above fails if the policies are gone."""
    _work_item(tenant_b, "INC-B1")
    seen = {}
    view = _buggy_view_forcing_scope(tenant_b.org, seen)
    with rls.platform("control"):
        view(RequestFactory().get("/"))
    assert seen["items"] == ["INC-B1"]


@shared_task(base=TenantTask, name="tests.rls_probe")
def probe_forcing_scope(*, organization, forced_organization_id):
    with scope(organization=Organization.objects.get(pk=forced_organization_id)):
        return sorted(WorkItem.objects.values_list("number", flat=True))


def test_a_tenant_task_forcing_another_scope_sees_nothing_of_it(tenant_a, tenant_b):
    _work_item(tenant_a, "INC-A1")
    _work_item(tenant_b, "INC-B1")

    def run(organization, forced):
        return probe_forcing_scope.apply(kwargs={
            "organization_id": organization.pk, "forced_organization_id": forced.pk}).get()

    assert run(tenant_a.org, tenant_b.org) == []
    assert run(tenant_b.org, tenant_b.org) == ["INC-B1"]


def test_pages_still_work_for_their_own_tenant(client, tenant_a, tenant_b):
    admin = tenant_a.member(roles=["org_admin"])
    _work_item(tenant_a, "INC-A1")
    _work_item(tenant_b, "INC-B1")
    client.force_login(admin)

    page = client.get(tenant_a.url("work/")).content.decode()

    assert ("INC-A1" in page, "INC-B1" in page) == (True, False)
    assert client.get(tenant_b.url("work/")).status_code == 404


def test_nothing_of_a_request_lingers_on_the_connection(client, tenant_a):
    admin = tenant_a.member(roles=["org_admin"])
    _work_item(tenant_a, "INC-A1")
    client.force_login(admin)
    assert client.get(tenant_a.url("work/")).status_code == 200

    with rls.entry(), scopes_disabled():
        assert _count("work_workitem") == 0


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_each_statement_carries_its_tenant(tenant_a, tenant_b):
    _work_item(tenant_a, "INC-A1")
    _work_item(tenant_b, "INC-B1")
    assert connection.get_autocommit()

    with rls.entry(), scopes_disabled():
        with rls.tenant(tenant_a.org):
            assert list(WorkItem.objects.values_list("number", flat=True)) == ["INC-A1"]
        assert _count("work_workitem") == 0
        with rls.tenant(tenant_b.org):
            assert list(WorkItem.objects.values_list("number", flat=True)) == ["INC-B1"]
            with transaction.atomic():
                assert _count("work_workitem") == 1
            assert _count("work_workitem") == 1
        assert _count("work_workitem") == 0


def test_a_savepoint_rolled_back_does_not_leave_a_stale_tenant(tenant_a, tenant_b):
    _work_item(tenant_a, "INC-A1")
    with rls.entry(), scopes_disabled():
        try:
            with transaction.atomic(), rls.tenant(tenant_a.org):
                assert _count("work_workitem") == 1
                raise RuntimeError("roll back to the savepoint")
        except RuntimeError:
            pass
        assert _count("work_workitem") == 0
        with rls.tenant(tenant_a.org):
            assert _count("work_workitem") == 1


def test_the_first_pin_stands_and_platform_names_its_reason(tenant_a, tenant_b):
    with rls.entry():
        with rls.tenant(tenant_a.org), rls.tenant(tenant_b.org):
            assert rls.wanted_settings() == (str(tenant_a.org.pk), "off")
        with rls.platform("the test"):
            assert rls.wanted_settings() == ("", "on")
            with rls.tenant(tenant_b.org):  # a platform job narrows to one tenant
                assert rls.wanted_settings() == (str(tenant_b.org.pk), "off")
        with scope(organization=tenant_b.org):  # no pin: the scope decides
            assert rls.wanted_settings() == (str(tenant_b.org.pk), "off")
            with scopes_disabled():  # a lookup past the ORM's scope stays in the tenant
                assert rls.wanted_settings() == (str(tenant_b.org.pk), "off")
        with scopes_disabled():
            assert rls.wanted_settings() == ("", "off")
        assert rls.wanted_settings() == ("", "off")
    with pytest.raises(ValueError, match="names its reason"), rls.platform(""):
        pass


def _app_role_dsn() -> dict:
    settings = connection.settings_dict
    return {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
            "dbname": settings["NAME"], "user": "coachdesk_app"}


@pytest.mark.django_db(transaction=True)
def test_the_application_role_sees_nothing_without_a_tenant_and_cannot_switch_rls_off(
    tenant_a,
):
    from django.conf import settings

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.DATABASE_APP_ROLE])
        if cursor.fetchone() is None:
            pytest.skip("No application role on this server (.ci/run and compose create it).")
    _work_item(tenant_a, "INC-A1")

    with psycopg.connect(**_app_role_dsn(), autocommit=True) as app:
        superuser, bypass = app.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert (superuser, bypass) == (False, False)
        assert app.execute("SELECT count(*) FROM work_workitem").fetchone()[0] == 0
        app.execute("SELECT set_config('app.organization_id', %s, false)",
                    [str(tenant_a.org.pk)])
        assert app.execute("SELECT count(*) FROM work_workitem").fetchone()[0] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("ALTER TABLE work_workitem DISABLE ROW LEVEL SECURITY")
