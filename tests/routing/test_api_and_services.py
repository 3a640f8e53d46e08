"""POST /route with assign, the no-one-qualifies settings, bad input, auto-assign."""

import pytest

from routing.enums import Outcome, Trigger
from routing.models import RoutingDecision
from routing.services import RoutingError, set_routing_settings
from skills.services import save_skill
from tests.work.conftest import ApiClient, make_token
from work.models import RequestedSkill, WorkEvent, WorkItem

VPN_ITEM = {"external_id": "INC1", "kind": "incident", "team": "Desk",
            "skills": [{"name": "VPN", "minimum_level": 2}]}


def _settings(rw, **overrides):
    values = {"auto_assign": False, "when_nobody_qualifies": "flag", "pool": "team",
              "max_open": 5}
    values.update(overrides)
    with rw.tenant.scope():
        return set_routing_settings(organization=rw.tenant.org, **values)


def _item(rw, external_id="INC1"):
    with rw.tenant.scope():
        return WorkItem.objects.select_related("assigned_to").get(external_id=external_id)


def _decisions(rw):
    with rw.tenant.scope():
        return list(RoutingDecision.objects.order_by("id").values_list(
            "trigger", "outcome", "assigned_to__username"))


def test_assign_true_assigns_top_qualified_through_the_write_path(rw):
    rw.give(username="ben", skill=rw.vpn, level="Advanced")
    rw.give(username="dan", skill=rw.vpn, level="Intermediate")
    rw.push(VPN_ITEM)
    body = rw.route("INC1", assign=True).json()
    assert body["assigned_to"] == "ben"
    assert body["outcome"] == "assigned"
    assert [(c["agent"], c["score"]) for c in body["candidates"][:2]] == [
        ("ben", 1.0), ("dan", 0.0)]
    assert rw.api.get("work-items/INC1").json()["assigned_to"] == "ben"
    with rw.tenant.scope():
        event = WorkEvent.objects.filter(work_item__external_id="INC1").order_by("id").last()
        assert (event.type, event.changes["assigned_to"]) == ("updated", [None, "ben"])
        decision = RoutingDecision.objects.get()
        assert decision.candidates == body["candidates"]
        assert decision.reason.startswith("Best qualified agent: ben (VPN 1 level(s) above")
    assert _decisions(rw) == [(Trigger.API, Outcome.ASSIGNED, "ben")]


def test_nobody_qualifies_flags_or_takes_best_partial_per_setting(rw):
    rw.give(username="cid", skill=rw.vpn, level="Novice")
    rw.push(VPN_ITEM)
    body = rw.route("INC1", assign=True).json()
    assert (body["assigned_to"], body["outcome"]) == (None, "flagged")
    assert body["reason"] == "Nobody qualified among 5 candidate(s); left unassigned."
    assert _item(rw).assigned_to is None
    _settings(rw, when_nobody_qualifies="best_partial")
    body = rw.route("INC1", assign=True).json()
    assert (body["assigned_to"], body["outcome"]) == ("cid", "partial")
    assert body["reason"].startswith("Nobody qualified; best partial match: cid")
    assert _item(rw).assigned_to.username == "cid"


def test_capacity_of_zero_or_less_and_unknown_choices_are_refused(rw):
    for bad in (0, -1):
        with pytest.raises(RoutingError, match="at least 1"):
            _settings(rw, max_open=bad)
    with pytest.raises(RoutingError, match="for incident must be a whole number"):
        _settings(rw, max_open_by_kind={"incident": 0})
    with pytest.raises(RoutingError, match="not a kind of work"):
        _settings(rw, max_open_by_kind={"fax": 3})
    rw.tenant.org.refresh_from_db()
    assert "routing" not in rw.tenant.org.settings


def test_other_tenant_item_is_404_and_nothing_is_assigned(rw, client, tenant_b):
    rw.give(username="ben", skill=rw.vpn, level="Expert")
    rw.push(VPN_ITEM)
    other = ApiClient(client=client, token=make_token(tenant=tenant_b))
    response = other.post("work-items/INC1/route", {"assign": True})
    assert response.status_code == 404
    assert response.json() == {"detail": "No work item with external_id “INC1”."}
    assert _item(rw).assigned_to is None


def test_closed_item_is_a_conflict(rw):
    rw.give(username="ben", skill=rw.vpn, level="Expert")
    rw.push({**VPN_ITEM, "state": "closed"})
    response = rw.route("INC1", assign=True)
    assert response.status_code == 409
    assert response.json() == {"detail": "INC1 is closed; only open work is routed."}
    assert _decisions(rw) == []


def test_retired_or_unknown_skill_is_a_clear_error(rw):
    rw.give(username="ben", skill=rw.vpn, level="Expert")
    rw.push(VPN_ITEM)
    with rw.tenant.scope():
        save_skill(organization=rw.tenant.org, skill=rw.vpn, name="VPN", active=False)
    response = rw.route("INC1", assign=True)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("INC1 requires retired skills: VPN.")
    with rw.tenant.scope():
        save_skill(organization=rw.tenant.org, skill=rw.vpn, name="VPN", active=True)
        item = _item(rw)
        # A name the catalogue never linked (e.g. written before the catalogue existed).
        RequestedSkill.objects.create(organization=rw.tenant.org, work_item=item,
                                      skill_name="Telepathy")
    response = rw.route("INC1")
    assert response.status_code == 422
    assert response.json()["detail"].startswith(
        "INC1 requires skills that are not in the catalogue: Telepathy.")
    assert _item(rw).assigned_to is None


def test_auto_assign_routes_new_and_reopened_unassigned_items_only_when_on(rw):
    rw.give(username="dan", skill=rw.vpn, level="Expert")
    rw.push(VPN_ITEM)
    assert _item(rw).assigned_to is None  # off by default
    _settings(rw, auto_assign=True)
    rw.push({**VPN_ITEM, "external_id": "INC2"})
    assert _item(rw, "INC2").assigned_to.username == "dan"
    # Resolved, then reopened without an assignee: routed again.
    rw.push({"external_id": "INC2", "state": "resolved", "assigned_to": None})
    rw.push({"external_id": "INC2", "state": "in_progress"})
    assert _item(rw, "INC2").assigned_to.username == "dan"
    # An item that arrives assigned is left alone; an update does not trigger routing.
    rw.push({**VPN_ITEM, "external_id": "INC3", "assigned_to": "ann"})
    rw.push({"external_id": "INC1", "priority": 2})
    assert _item(rw, "INC3").assigned_to.username == "ann"
    assert _item(rw, "INC1").assigned_to is None
    assert _decisions(rw) == [(Trigger.AUTO, Outcome.ASSIGNED, "dan"),
                              (Trigger.AUTO, Outcome.ASSIGNED, "dan")]
    with rw.tenant.scope():
        assert WorkEvent.objects.filter(work_item__external_id="INC2",
                                        changes__has_key="assigned_to").count() == 3


def test_auto_assign_records_a_refusal_instead_of_failing_the_event(rw):
    _settings(rw, auto_assign=True)
    with rw.tenant.scope():
        save_skill(organization=rw.tenant.org, skill=rw.vpn, name="VPN", active=False)
    rw.push(VPN_ITEM)
    with rw.tenant.scope():
        assert WorkEvent.objects.exclude(last_error="").count() == 0
    assert _decisions(rw) == [(Trigger.AUTO, Outcome.REFUSED, None)]
