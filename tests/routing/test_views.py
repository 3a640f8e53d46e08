"""Routing pages: suggested agents on the work-item page, assign, team load, settings."""

import pytest

from routing.models import RoutingDecision
from work.models import WorkItem

ITEM = {"external_id": "INC1", "kind": "incident", "team": "Desk",
        "skills": [{"name": "VPN", "minimum_level": 2}]}


@pytest.fixture
def item(rw):
    rw.give(username="ben", skill=rw.vpn, level="Advanced")
    rw.push(ITEM, {"external_id": "LOAD", "kind": "incident", "team": "Desk",
                   "assigned_to": "ann"})
    with rw.tenant.scope():
        return WorkItem.objects.get(external_id="INC1")


def test_work_item_page_shows_suggested_agents_with_reasons_and_assign_for_the_coach(
    rw, item, login
):
    page = login(rw.coach).get(rw.tenant.url(f"work/{item.pk}/")).content.decode()
    assert "Suggested agents" in page
    assert "VPN 1 level(s) above the minimum" in page
    assert page.index('value="ben"') < page.index('value="ann"')
    assert "Assign to ben" in page


def test_suggestions_without_assign_for_another_teams_coach_and_none_for_qa(
    rw, item, login, tenant_a
):
    page = login(rw.coach2).get(rw.tenant.url(f"work/{item.pk}/")).content.decode()
    assert "Suggested agents" in page and "Assign to ben" not in page
    qa = tenant_a.member(roles=["qa_analyst"], username="quinn")
    page = login(qa).get(rw.tenant.url(f"work/{item.pk}/")).content.decode()
    assert "Suggested agents" not in page


def test_assign_permission_matrix(rw, item, login, tenant_b):
    url = rw.tenant.url(f"routing/items/{item.pk}/assign/")
    assert login(rw.agents["ann"]).post(url, {"agent": "ben"}).status_code == 403
    assert login(rw.coach2).post(url, {"agent": "ben"}).status_code == 404
    outsider = tenant_b.member(roles=["org_admin", "coach"], username="bob")
    assert login(outsider).post(url, {"agent": "ben"}).status_code == 404
    with rw.tenant.scope():
        assert RoutingDecision.objects.count() == 0
    response = login(rw.coach).post(url, {"agent": "ben"})
    assert response.status_code == 302
    with rw.tenant.scope():
        item.refresh_from_db()
        decision = RoutingDecision.objects.get()
    assert item.assigned_to.username == "ben"
    assert (decision.trigger, decision.outcome, decision.actor) == ("manual", "assigned",
                                                                     rw.coach)


def test_coach_may_assign_a_partial_match_marked_as_such(rw, item, login):
    login(rw.coach).post(rw.tenant.url(f"routing/items/{item.pk}/assign/"), {"agent": "cid"})
    with rw.tenant.scope():
        assert RoutingDecision.objects.get().outcome == "partial"


def test_team_load_permission_matrix_and_counts(rw, item, login, tenant_b):
    url = rw.tenant.url("routing/")
    page = login(rw.coach).get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Desk" in body and "Network" not in body
    assert "incident: 1" in body
    admin = login(rw.admin).get(url).content.decode()
    assert admin.count("<h2") == 1 and "No members: Network." in admin
    assert login(rw.agents["ann"]).get(url).status_code == 403
    outsider = tenant_b.member(roles=["org_admin"], username="bob")
    assert login(outsider).get(url).status_code == 404


def test_settings_form_saves_and_refuses_zero_capacity(rw, login, tenant_b):
    url = rw.tenant.url("routing/settings/")
    assert login(rw.coach).get(url).status_code == 403
    outsider = tenant_b.member(roles=["org_admin"], username="bob")
    assert login(outsider).get(url).status_code == 404
    client = login(rw.admin)
    data = {"auto_assign": "on", "when_nobody_qualifies": "best_partial", "pool": "team",
            "max_open": "0"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "must be a whole number of at least 1" in response.content.decode()
    response = client.post(url, {**data, "max_open": "3", "max_open_chat": "8"})
    assert response.status_code == 302
    rw.tenant.org.refresh_from_db()
    assert rw.tenant.org.settings["routing"] == {
        "auto_assign": True, "when_nobody_qualifies": "best_partial", "pool": "team",
        "max_open": 3, "max_open_by_kind": {"chat": 8},
    }
