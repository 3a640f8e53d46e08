"""Role predicates and the coaching relationship."""

import pytest

from tenancy import rules as tenancy_rules
from tenancy.rules import is_coach, is_coach_of, is_org_admin, is_self


@pytest.fixture
def desk(tenant_a):
    """Tenant A: one team managed by a coach and co-managed by another, with one agent."""
    coach = tenant_a.member(roles=["coach"])
    co_coach = tenant_a.member(roles=["coach"])
    other_coach = tenant_a.member(roles=["coach"])
    agent = tenant_a.member(roles=["agent"])
    other_agent = tenant_a.member(roles=["agent"])
    team = tenant_a.team(name="Service Desk", manager=coach, members=[agent],
                         co_managers=[co_coach])
    tenant_a.team(name="Network", manager=other_coach, members=[other_agent])
    return {"coach": coach, "co_coach": co_coach, "other_coach": other_coach,
            "agent": agent, "other_agent": other_agent, "team": team}


def test_is_org_admin_true_only_for_org_admins_of_that_organization(tenant_a, tenant_b):
    admin_a = tenant_a.member(roles=["org_admin"])
    coach_a = tenant_a.member(roles=["coach"])
    admin_b = tenant_b.member(roles=["org_admin"])

    assert is_org_admin(admin_a, tenant_a.org) is True
    assert is_org_admin(coach_a, tenant_a.org) is False
    assert is_org_admin(admin_b, tenant_a.org) is False
    assert is_org_admin(admin_a, tenant_b.org) is False


def test_is_coach_reads_the_role_of_the_membership(tenant_a, tenant_b):
    coach = tenant_a.member(roles=["coach", "agent"])
    agent = tenant_a.member(roles=["agent"])
    coach_b = tenant_b.member(roles=["coach"])

    assert is_coach(coach, tenant_a.org) is True
    assert is_coach(agent, tenant_a.org) is False
    assert is_coach(coach_b, tenant_a.org) is False


def test_is_coach_falls_back_to_the_current_organization(tenant_a):
    coach = tenant_a.member(roles=["coach"])
    assert is_coach(coach) is False

    coach._current_organization = tenant_a.org

    assert is_coach(coach) is True


def test_role_predicate_reads_organization_from_a_tenant_object(tenant_a, tenant_b):
    admin_a = tenant_a.member(roles=["org_admin"])
    team_a = tenant_a.team(name="Service Desk")
    team_b = tenant_b.team(name="Billing")

    assert is_org_admin(admin_a, team_a) is True
    assert is_org_admin(admin_a, team_b) is False


def test_is_coach_of_true_for_manager_of_the_agents_team(tenant_a, desk):
    with tenant_a.scope():
        assert is_coach_of(desk["coach"], desk["agent"]) is True


def test_is_coach_of_true_for_additional_manager(tenant_a, desk):
    with tenant_a.scope():
        assert is_coach_of(desk["co_coach"], desk["agent"]) is True


def test_is_coach_of_false_for_coach_of_another_team(tenant_a, desk):
    with tenant_a.scope():
        assert is_coach_of(desk["other_coach"], desk["agent"]) is False
        assert is_coach_of(desk["coach"], desk["other_agent"]) is False


def test_is_coach_of_false_for_agent_and_for_none(tenant_a, desk):
    with tenant_a.scope():
        assert is_coach_of(desk["agent"], desk["agent"]) is False
        assert is_coach_of(desk["coach"], None) is False


def test_is_coach_of_false_for_coach_in_another_tenant(tenant_a, tenant_b, desk):
    """The agent also works for tenant B, where coach_b manages them; not so in A."""
    from tests.factories import MembershipFactory

    coach_b = tenant_b.member(roles=["coach"])
    MembershipFactory(organization=tenant_b.org, user=desk["agent"], is_agent=True)
    tenant_b.team(name="Billing", manager=coach_b, members=[desk["agent"]])

    with tenant_a.scope():
        assert is_coach_of(coach_b, desk["agent"]) is False
        assert is_coach_of(desk["coach"], desk["agent"]) is True
    with tenant_b.scope():
        assert is_coach_of(coach_b, desk["agent"]) is True
        assert is_coach_of(desk["coach"], desk["agent"]) is False


def test_is_self_true_only_for_the_same_user(tenant_a):
    agent = tenant_a.member(roles=["agent"])
    other = tenant_a.member(roles=["agent"])

    assert is_self(agent, agent) is True
    assert is_self(agent, other) is False
    assert is_self(agent, None) is False


def test_view_coaching_of_permission_combines_self_coach_and_admin(tenant_a, desk):
    admin = tenant_a.member(roles=["org_admin"])
    for user in (admin, desk["coach"], desk["other_coach"], desk["agent"], desk["other_agent"]):
        user._current_organization = tenant_a.org

    with tenant_a.scope():
        allowed = {
            user.pk
            for user in (admin, desk["coach"], desk["other_coach"], desk["agent"],
                         desk["other_agent"])
            if user.has_perm("tenancy.view_coaching_of", desk["agent"])
        }

    assert allowed == {admin.pk, desk["coach"].pk, desk["agent"].pk}
    assert tenancy_rules.is_manager(desk["coach"], tenant_a.org) is True
    assert tenancy_rules.is_manager(desk["agent"], tenant_a.org) is False
