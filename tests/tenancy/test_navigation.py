"""The workspace navigation: entries sharing a ``group`` become one dropdown menu, placed
where the group's first entry is; landing stays on the first entry a member may see."""

import pytest

from tenancy.enums import Role

pytestmark = pytest.mark.django_db


def _menu(client, user, url="/o/alpha/coaching/"):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.context["manager_menu"]()


def _shape(menu):
    return [
        (item["label"], [e["label"] for e in item["entries"]] if "entries" in item else None,
         item["active"])
        for item in menu
    ]


def test_member_holding_every_role_gets_grouped_menus_in_order(client, tenant_a):
    olga = tenant_a.member(roles=[r.value for r in Role])
    menu = _menu(client, olga)
    assert _shape(menu) == [
        ("Coaching", ["Overview", "Assessments", "Backlog", "Coaching assignments",
                      "Marked for coaching", "Coaching monitor", "Opportunities",
                      "Team performance", "Coaching required", "All agents",
                      "Advice provider"], True),
        ("Quality", ["Audit queue", "Interactions", "Leaderboard", "Dispute analytics",
                     "Disputes", "Calibration", "Scorecards"], False),
        ("Skills", None, False),
        ("Learning", None, False),
        ("Work", ["Work items", "Routing"], False),
        ("Surveys", None, False),
        ("Organization", ["Teams", "Overview", "Access log", "Settings"], False),
    ]
    coaching = menu[0]
    assert coaching["id"] == "nav-coaching"
    assert [e["active"] for e in coaching["entries"]] == [True] + [False] * 10
    assert coaching["entries"][0]["url"] == "/o/alpha/coaching/"


def test_active_group_follows_the_page(client, tenant_a):
    olga = tenant_a.member(roles=[r.value for r in Role])
    menu = _menu(client, olga, "/o/alpha/teams/")
    assert [item["label"] for item in menu if item["active"]] == ["Organization"]
    organization = menu[-1]
    assert [(e["label"], e["active"]) for e in organization["entries"]] == [
        ("Teams", True), ("Overview", False), ("Access log", False),
        ("Settings", False)]


@pytest.mark.parametrize(("url", "manager", "mine"), [
    ("/o/alpha/learning/tasks/", "Learning", None),  # was Learning and Me ▸ My learning
    ("/o/alpha/learning/me/", None, "My learning"),
    ("/o/alpha/surveys/templates/", "Surveys", None),
    ("/o/alpha/surveys/me/", None, "My surveys"),
])
def test_one_entry_lights_up_across_both_workspaces(client, tenant_a, url, manager, mine):
    olga = tenant_a.member(roles=[r.value for r in Role])
    client.force_login(olga)
    response = client.get(url)
    assert response.status_code == 200
    lit = [item["label"] for item in response.context["manager_menu"]() if item["active"]]
    assert lit == ([manager] if manager else [])
    assert [e["label"] for e in response.context["agent_nav"]() if e["active"]] == (
        [mine] if mine else [])


def test_qa_analyst_lands_on_the_audit_queue_under_quality_first(client, tenant_a):
    qa = tenant_a.member(roles=["qa_analyst"])
    client.force_login(qa)
    response = client.get("/o/alpha/")
    assert response.status_code == 302
    assert response.url == "/o/alpha/quality/audits/"
    menu = client.get(response.url).context["manager_menu"]()
    assert _shape(menu)[0] == (
        "Quality", ["Audit queue", "Interactions", "Leaderboard", "Dispute analytics",
                    "Disputes", "Calibration", "Scorecards"], True)
    assert [(e["label"], e["active"]) for e in menu[0]["entries"]][0] == ("Audit queue", True)


def test_group_with_one_visible_entry_is_a_link_named_after_the_group(client, tenant_a):
    from tenancy.extensions import NavEntry, navigation_entries

    entries = {
        "a": NavEntry("manager", "Teams", "tenancy:team_list",
                      "tenancy.view_manager_workspace", order=1, group="People"),
        "b": NavEntry("manager", "Settings", "tenancy:settings",
                      "tenancy.manage_organization", order=2, group="People"),
    }
    coach = tenant_a.member(roles=["coach"])
    with navigation_entries.replaced(entries):
        menu = _menu(client, coach, "/o/alpha/teams/")
    assert menu == [{"label": "People", "url": "/o/alpha/teams/", "active": True,
                     "group": "People"}]
