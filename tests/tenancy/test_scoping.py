"""A query on a tenant model outside a scope raises; inside one it sees only that tenant."""

import pytest
from django.apps import apps
from django_scopes import ScopeError

from tenancy.models import ApiToken, Membership, Team, TeamManager, TeamMember, TenantModel
from tenancy.scoping import organization_scope


def test_tenant_models_all_use_a_scoped_default_manager(db):
    tenant_models = [m for m in apps.get_models() if issubclass(m, TenantModel)]

    assert {Membership, Team, TeamMember, TeamManager, ApiToken} <= set(tenant_models)
    for model in tenant_models:
        with pytest.raises(ScopeError):
            list(model.objects.all())


def test_unscoped_query_on_team_raises_scope_error(tenant_a):
    tenant_a.team(name="Service Desk")

    with pytest.raises(ScopeError):
        Team.objects.filter(name="Service Desk").exists()


def test_unscoped_count_on_membership_raises_scope_error(tenant_a):
    tenant_a.member(roles=["agent"])

    with pytest.raises(ScopeError):
        Membership.objects.count()


def test_scoped_query_sees_only_its_tenant(tenant_a, tenant_b):
    coach_a = tenant_a.member(roles=["coach"])
    coach_b = tenant_b.member(roles=["coach"])
    team_a = tenant_a.team(name="Service Desk", manager=coach_a,
                           members=[tenant_a.member(roles=["agent"])])
    team_b = tenant_b.team(name="Billing", manager=coach_b,
                           members=[tenant_b.member(roles=["agent"])])

    with tenant_a.scope():
        assert list(Team.objects.all()) == [team_a]
        assert set(Membership.objects.values_list("organization_id", flat=True)) == {
            tenant_a.org.pk
        }
        assert list(TeamMember.objects.values_list("team_id", flat=True)) == [team_a.pk]
        assert not Team.objects.filter(pk=team_b.pk).exists()
    with tenant_b.scope():
        assert list(Team.objects.all()) == [team_b]


def test_organization_scope_accepts_an_id_and_yields_none_when_gone(tenant_a):
    team = tenant_a.team(name="Service Desk")

    with organization_scope(tenant_a.org.pk) as organization:
        assert organization == tenant_a.org
        assert list(Team.objects.all()) == [team]
    with organization_scope(999_999_999) as organization:
        assert organization is None
