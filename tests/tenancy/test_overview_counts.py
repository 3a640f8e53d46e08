"""The organization overview counts its members and each team's members in the database
(issue 22.3: it loaded every membership and every team member to count them), so its
queries and rows do not grow with the organization; the team list shows the same counts."""

import pytest
from django_scopes import scopes_disabled

from tenancy.models import TeamMember
from tests.factories import make_world

QUERIES = 12


@pytest.fixture
def world(tenant_a, tenant_b):
    return make_world(
        tenant=tenant_a, other=tenant_b, admin="ada", coach="carl", co_coach="cora",
        agent="abe", agent2="amy", outsider="bob",
        team="Service Desk", team_members=["agent", "agent2"], other_team="Billing",
    )


@pytest.mark.parametrize(("user", "status"), [("admin", 200), ("coach", 200), ("agent", 403),
                                              ("outsider", 404)])
def test_overview_permission_matrix(world, login, user, status):
    assert login(getattr(world, user)).get(world.tenant.url("manage/")).status_code == status


def test_overview_counts_exactly_with_constant_queries(world, login, tenant_a,
                                                       django_assert_num_queries):
    client = login(world.coach)
    client.get(world.tenant.url("manage/"))
    with django_assert_num_queries(QUERIES):
        response = client.get(world.tenant.url("manage/"))
    context = response.context
    assert (context["member_count"], context["agent_count"], context["coach_count"]) == (5, 2, 2)
    assert [(t.name, t.member_count) for t in context["my_teams"]] == [("Service Desk", 2)]
    assert "2 members" in response.content.decode()
    with scopes_disabled():
        for i in range(30):
            agent = tenant_a.member(username=f"zed{i:02d}")
            TeamMember.objects.create(organization=tenant_a.org, team=world.team, user=agent)
        tenant_a.member(username="cyd", roles=["coach"])
    with django_assert_num_queries(QUERIES):
        response = client.get(world.tenant.url("manage/"))
    context = response.context
    assert (context["member_count"], context["agent_count"], context["coach_count"]) == (
        36, 32, 3)
    assert [(t.name, t.member_count) for t in context["teams"]] == [("Service Desk", 32)]
    assert "32 members" in response.content.decode()


def test_team_list_shows_each_teams_member_count(world, login, tenant_a):
    tenant_a.team(name="Network", members=[world.agent2])
    response = login(world.admin).get(world.tenant.url("teams/"))
    assert sorted((t.name, t.member_count) for t in response.context["teams"]) == [
        ("Network", 1), ("Service Desk", 2)]
    assert '<td class="text-end">2</td>' in response.content.decode()
