"""Background work per tenant: TenantTask enters the scope from an id and skips a tenant
that is gone; for_each_organization enqueues one task per tenant, each failing alone."""

import logging

import pytest
from celery import shared_task

from tenancy.background import TenantTask, enqueue, for_each_organization
from tenancy.models import Organization, Team

SEEN: list[tuple[str, list[str]]] = []


@shared_task(base=TenantTask, name="tests.tenancy.team_names")
def team_names(*, organization: Organization, fail_for: str = "") -> list[str]:
    """Reads a scoped model: only works inside the organization's scope."""
    if organization.slug == fail_for:
        raise RuntimeError(f"{organization.slug} is broken")
    names = sorted(Team.objects.values_list("name", flat=True))
    SEEN.append((organization.slug, names))
    return names


@pytest.fixture(autouse=True)
def _forget_seen():
    SEEN.clear()


@pytest.fixture
def three_tenants(tenant_a, tenant_b):
    from tests.factories import Tenant

    tenant_c = Tenant(slug="gamma")
    tenant_a.team(name="Service Desk")
    tenant_b.team(name="Billing")
    tenant_c.team(name="Network")
    return tenant_a, tenant_b, tenant_c


def test_tenant_task_enters_the_scope_of_the_organization_given_by_id(three_tenants):
    tenant_a, tenant_b, _ = three_tenants

    assert team_names(organization_id=tenant_b.org.pk) == ["Billing"]
    assert team_names.apply(kwargs={"organization_id": tenant_a.org.pk}).get() == [
        "Service Desk"]
    assert SEEN == [("beta", ["Billing"]), ("alpha", ["Service Desk"])]


def test_tenant_task_for_a_deleted_organization_returns_quietly(tenant_a, caplog):
    organization_id = tenant_a.org.pk
    tenant_a.org.delete()

    with caplog.at_level(logging.INFO, logger="tenancy.background"):
        assert team_names(organization_id=organization_id) is None
        assert team_names.apply(kwargs={"organization_id": organization_id}).get() is None

    assert SEEN == []
    assert [r.getMessage() for r in caplog.records if r.name == "tenancy.background"] == [
        f"Task tests.tenancy.team_names skipped: organization {organization_id} no longer "
        "exists.",
    ] * 2


def test_for_each_organization_enqueues_one_task_per_organization(
    three_tenants, tasks_in_process
):
    assert for_each_organization(team_names) == 3
    assert SEEN == [("alpha", ["Service Desk"]), ("beta", ["Billing"]), ("gamma", ["Network"])]


def test_for_each_organization_takes_a_task_name_and_keyword_arguments(
    three_tenants, tasks_in_process
):
    assert for_each_organization("tests.tenancy.team_names", fail_for="nobody") == 3
    assert [slug for slug, _ in SEEN] == ["alpha", "beta", "gamma"]


def test_one_organization_failing_does_not_stop_the_others(
    three_tenants, tasks_in_process, caplog
):
    tenant_a, _, _ = three_tenants

    with caplog.at_level(logging.ERROR, logger="tenancy.background"):
        # alpha is enqueued first (lowest id) and raises.
        assert for_each_organization(team_names, fail_for="alpha") == 2

    assert SEEN == [("beta", ["Billing"]), ("gamma", ["Network"])]
    assert [r.getMessage() for r in caplog.records if r.name == "tenancy.background"] == [
        f"Task tests.tenancy.team_names failed for organization {tenant_a.org.pk}; the other "
        "organizations go on.",
    ]


def test_enqueue_sends_a_task_by_its_registered_name(three_tenants, tasks_in_process):
    _, _, tenant_c = three_tenants

    enqueue("tests.tenancy.team_names", organization_id=tenant_c.org.pk)

    assert SEEN == [("gamma", ["Network"])]


def test_enqueueing_a_tenant_task_without_its_organization_fails_at_once(tasks_in_process):
    with pytest.raises(TypeError):
        team_names.apply_async(kwargs={})
    with pytest.raises(TypeError):
        team_names.apply_async(kwargs={"organization_id": 1, "colour": "red"})
    assert SEEN == []
