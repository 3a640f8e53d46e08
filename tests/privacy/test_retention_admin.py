"""The privacy audit trail (PersonalDataRequest, here retention runs) in the tenant-scoped
Django admin: the tenant's staff see their own organization's runs only, and never add,
change or delete one there."""

import pytest
from django_scopes import scopes_disabled

from privacy.models import PersonalDataRequest
from privacy.retention import apply_retention
from tenancy.scoping import organization_scope

from .retention_fixtures import retention_world, set_policy  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/admin/privacy/personaldatarequest/"


@pytest.fixture
def runs(world):
    made = {}
    for tenant in (world.tenant, world.other):
        set_policy(tenant.org, transcripts_days=90)
        with organization_scope(tenant.org) as org:
            made[tenant.org.slug] = apply_retention(organization=org, dry_run=True,
                                                    requested_by="test").record
    return made


@pytest.fixture
def staff(world, client):
    user = world.tenant.member(roles=["org_admin"], username="stella", is_staff=True)
    client.force_login(user)
    return user


def test_runs_are_listed_for_their_own_organization_only(staff, runs, client):
    changelist = client.get(URL)
    assert changelist.status_code == 200
    assert [obj.pk for obj in changelist.context["cl"].result_list] == [runs["acme"].pk]
    page = client.get(f"{URL}{runs['acme'].pk}/change/")
    assert page.status_code == 200
    assert "transcripts" in page.content.decode()
    assert client.get(f"{URL}{runs['globex'].pk}/change/").status_code == 302


def test_runs_are_read_only(staff, runs, client):
    run = runs["acme"]
    assert client.get(f"{URL}add/").status_code == 403
    assert client.post(f"{URL}{run.pk}/change/", {}).status_code == 403
    assert client.post(f"{URL}{run.pk}/delete/", {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert PersonalDataRequest.objects.filter(pk=run.pk).exists()
