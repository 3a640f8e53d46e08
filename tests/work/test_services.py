"""The one write path: upsert with events, merge semantics, derived counts, references."""

from datetime import UTC, datetime

import pytest

from tenancy.models import Membership
from work import extensions, services
from work.enums import EventType
from work.models import RequestedSkill, WorkEvent, WorkItem

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def free_skill_names():
    """Test work's own rules for skill names: no catalogue registered (the skills app may
    register one; its contract is tested in test_upsert_asks_the_skill_catalogue)."""
    with extensions.skill_catalog.replaced():
        yield


def upsert(tenant, *items, **kwargs):
    with tenant.scope():
        return services.upsert_work_items(organization=tenant.org, items=list(items), **kwargs)


def errors_of(excinfo):
    return [e.as_dict() for e in excinfo.value.errors]


def test_upsert_creates_item_with_created_event(tenant_a):
    agent = tenant_a.member(roles=["agent"], username="ana")
    team = tenant_a.team(name="Service Desk", members=[agent])
    summary = upsert(tenant_a, {
        "external_id": "INC1", "kind": "incident", "number": "INC0001",
        "short_description": "VPN down", "priority": 2, "team": "service desk",
        "assigned_to": "ana", "opened_at": T0,
        "skills": ["VPN", {"name": "DNS", "minimum_level": 2}],
    })
    assert (summary.created, summary.updated, summary.unchanged) == (1, 0, 0)
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="INC1")
        assert item.team == team
        assert item.assigned_to == agent
        assert item.state == "new"
        assert item.organization == tenant_a.org
        assert list(item.requested_skills.values_list("skill_name", "minimum_level")) == [
            ("DNS", 2), ("VPN", None)
        ]
        event = WorkEvent.objects.get()
    assert event.type == EventType.CREATED
    assert event.work_item == item
    assert event.processed_at is None
    assert event.changes == {
        "kind": [None, "incident"],
        "number": [None, "INC0001"],
        "short_description": [None, "VPN down"],
        "priority": [None, 2],
        "team": [None, "Service Desk"],
        "assigned_to": [None, "ana"],
        "opened_at": [None, "2025-03-01T09:30:00+00:00"],
        "skills": [[], ["DNS (≥2)", "VPN"]],
    }


def test_upsert_merges_absent_fields_and_clears_explicit_null(tenant_a):
    upsert(tenant_a, {"external_id": "C1", "kind": "case", "category": "Billing",
                      "priority": 3, "attributes": {"region": "EU", "tier": "gold"}})
    summary = upsert(tenant_a, {"external_id": "C1", "priority": None,
                                "attributes": {"tier": None, "vip": True}})
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 0)
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="C1")
        event = WorkEvent.objects.filter(type=EventType.UPDATED).get()
    assert item.kind == "case"
    assert item.category == "Billing"
    assert item.priority is None
    assert item.attributes == {"region": "EU", "vip": True}
    assert event.changes == {
        "priority": [3, None], "attributes.tier": ["gold", None], "attributes.vip": [None, True],
    }


def test_upsert_same_values_is_unchanged_without_event(tenant_a):
    item = {"external_id": "X1", "kind": "chat", "state": "in_progress", "opened_at": T0}
    upsert(tenant_a, item)
    summary = upsert(tenant_a, item)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)
    with tenant_a.scope():
        assert WorkEvent.objects.count() == 1


def test_upsert_counts_reassignment_when_assignee_or_team_changes(tenant_a):
    ana = tenant_a.member(roles=["agent"], username="ana")
    bob = tenant_a.member(roles=["agent"], username="bob", email="Bob@Example.com")
    tenant_a.team(name="Desk")
    tenant_a.team(name="Network")
    upsert(tenant_a, {"external_id": "I1", "kind": "incident", "assigned_to": "ana"})
    upsert(tenant_a, {"external_id": "I1", "assigned_to": "bob@example.com", "team": "Desk"})
    upsert(tenant_a, {"external_id": "I1", "team": "Network"})
    upsert(tenant_a, {"external_id": "I1", "assigned_to": "bob"})  # same person: no change
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="I1")
        changes = list(WorkEvent.objects.order_by("id").values_list("changes", flat=True))
    assert item.assigned_to == bob
    assert ana != bob
    assert item.reassignment_count == 2
    assert changes[1] == {
        "team": [None, "Desk"], "assigned_to": ["ana", "bob"], "reassignment_count": [0, 1],
    }
    assert changes[2] == {"team": ["Desk", "Network"], "reassignment_count": [1, 2]}
    assert len(changes) == 3


def test_upsert_counts_reopen_and_types_events(tenant_a):
    upsert(tenant_a, {"external_id": "I2", "kind": "incident", "state": "in_progress"})
    upsert(tenant_a, {"external_id": "I2", "state": "resolved"})
    upsert(tenant_a, {"external_id": "I2", "state": "in_progress"})
    upsert(tenant_a, {"external_id": "I2", "state": "closed"})
    upsert(tenant_a, {"external_id": "I2", "state": "new", "reopen_count": 7})
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="I2")
        types = list(WorkEvent.objects.order_by("id").values_list("type", flat=True))
    assert types == ["created", "resolved", "reopened", "closed", "reopened"]
    # The source's own count wins over the derived one.
    assert item.reopen_count == 7


def test_upsert_updates_every_kind_of_field_in_one_batch(tenant_a, tenant_b):
    # Items changing different fields in one batch (one UPDATE on PostgreSQL): each keeps
    # its own values, the fields it does not send stay, and the other tenant's item with
    # the same external_id is untouched.
    ana = tenant_a.member(roles=["agent"], username="ana")
    bob = tenant_a.member(roles=["agent"], username="bob")
    desk = tenant_a.team(name="Desk")
    first = [
        {"external_id": "U1", "kind": "call", "assigned_to": "ana", "sentiment": 0.25,
         "attributes": {"region": "EU"}, "handle_time_seconds": 300},
        {"external_id": "U2", "kind": "incident", "state": "in_progress", "priority": 4,
         "short_description": "Printer jam", "opened_at": T0},
        {"external_id": "U3", "kind": "case", "escalated": True, "category": "Billing"},
    ]
    upsert(tenant_a, *first)
    upsert(tenant_b, first[1])
    resolved = datetime(2025, 3, 2, 17, 5, 30, 123456, tzinfo=UTC)
    summary = upsert(tenant_a, *[
        {"external_id": "U1", "assigned_to": "bob", "sentiment": -0.75,
         "attributes": {"region": None, "tier": "gold"}, "handle_time_seconds": None},
        {"external_id": "U2", "state": "resolved", "resolved_at": resolved,
         "resolved_by": "ana", "team": "Desk", "priority": 1},
        {"external_id": "U3", "escalated": False, "category": "", "sla_breached": True},
    ])
    assert (summary.created, summary.updated, summary.unchanged) == (0, 3, 0)
    with tenant_a.scope():
        items = {i.external_id: i for i in WorkItem.objects.all()}
    assert (items["U1"].assigned_to, items["U1"].sentiment, items["U1"].attributes,
            items["U1"].handle_time_seconds, items["U1"].reassignment_count) == (
        bob, -0.75, {"tier": "gold"}, None, 1)
    assert (items["U2"].state, items["U2"].resolved_at, items["U2"].resolved_by,
            items["U2"].team, items["U2"].priority, items["U2"].short_description,
            items["U2"].opened_at, items["U2"].credited_to) == (
        "resolved", resolved, ana, desk, 1, "Printer jam", T0, ana.pk)
    assert (items["U3"].escalated, items["U3"].category, items["U3"].sla_breached,
            items["U3"].kind) == (False, "", True, "case")
    with tenant_b.scope():
        other = WorkItem.objects.get()
    assert (other.state, other.priority, other.team_id, other.resolved_at) == (
        "in_progress", 4, None, None)


def test_upsert_refuses_whole_batch_with_errors_per_index_and_field(tenant_a, tenant_b):
    tenant_b.member(roles=["agent"], username="outsider")
    upsert(tenant_a, {"external_id": "KEEP", "kind": "call", "priority": 4})
    with pytest.raises(services.WorkItemsInvalid) as excinfo:
        upsert(
            tenant_a,
            {"external_id": "KEEP", "priority": 1},
            {"external_id": "N1"},
            {"external_id": "N2", "kind": "fax", "state": "done", "priority": 9},
            {"external_id": "N3", "kind": "call", "assigned_to": "outsider", "team": "Ghosts"},
            {"external_id": "N1", "kind": "call"},
            {"kind": "call", "escalated": "yes", "sentiment": 2},
        )
    assert errors_of(excinfo) == [
        {"index": 1, "field": "kind", "message": "A new work item needs a kind."},
        {"index": 2, "field": "kind", "message":
            "“fax” is not a kind; use one of: incident, problem, change, request, case, call, "
            "chat, email."},
        {"index": 2, "field": "state", "message":
            "“done” is not a state; use one of: new, in_progress, on_hold, resolved, closed, "
            "cancelled."},
        {"index": 2, "field": "priority", "message":
            "9 is out of range: use a whole number from 1 to 5."},
        {"index": 3, "field": "team", "message": "No team named “Ghosts” in this organization."},
        {"index": 3, "field": "assigned_to", "message":
            "No member of this organization has the username or e-mail “outsider”."},
        {"index": 4, "field": "external_id", "message":
            "“N1” appears twice in this batch (first as item 1)."},
        {"index": 5, "field": "escalated", "message": "Expected true or false."},
        {"index": 5, "field": "sentiment", "message":
            "2 is out of range: sentiment goes from −1 to 1."},
        {"index": 5, "field": "external_id", "message": "Every work item needs an external_id."},
    ]
    with tenant_a.scope():
        assert list(WorkItem.objects.values_list("external_id", "priority")) == [("KEEP", 4)]
        assert WorkEvent.objects.count() == 1


def test_upsert_refuses_more_than_a_thousand_items(tenant_a):
    items = [{"external_id": f"E{i}", "kind": "email"} for i in range(1001)]
    with pytest.raises(services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, *items)
    assert errors_of(excinfo) == [{"index": None, "field": None, "message":
                                   "A batch holds at most 1,000 items; this one has 1,001."}]
    with tenant_a.scope():
        assert WorkItem.objects.count() == 0


def test_upsert_create_missing_makes_teams_agents_and_keeps_outsiders_out(tenant_a, tenant_b):
    tenant_b.member(roles=["agent"], username="outsider")
    upsert(tenant_a, {"external_id": "M1", "kind": "case", "team": "New Team",
                      "assigned_to": "newbie"}, create_missing=True)
    with tenant_a.scope():
        item = WorkItem.objects.select_related("team", "assigned_to").get()
        membership = Membership.objects.get(user=item.assigned_to)
    assert item.team.name == "New Team"
    assert item.assigned_to.username == "newbie"
    assert membership.roles == frozenset({"agent"})
    assert not item.assigned_to.has_usable_password()
    with pytest.raises(services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, {"external_id": "M2", "kind": "case", "assigned_to": "outsider"},
               create_missing=True)
    assert errors_of(excinfo) == [{"index": 0, "field": "assigned_to", "message":
                                   "“outsider” is an account outside this organization; add it "
                                   "as a member before assigning work to it."}]


def test_upsert_replaces_skills_and_records_the_change(tenant_a):
    upsert(tenant_a, {"external_id": "S1", "kind": "incident", "skills": ["VPN", "DNS"]})
    upsert(tenant_a, {"external_id": "S1", "skills": [{"name": "VPN", "minimum_level": 3}]})
    upsert(tenant_a, {"external_id": "S1", "number": "INC9"})  # skills absent: kept
    with tenant_a.scope():
        rows = list(RequestedSkill.objects.values_list("skill_name", "minimum_level"))
        last_two = list(WorkEvent.objects.order_by("id").values_list("changes", flat=True))[1:]
    assert rows == [("VPN", 3)]
    assert last_two == [{"skills": [["DNS", "VPN"], ["VPN (≥3)"]]}, {"number": ["", "INC9"]}]


def test_upsert_keeps_tenants_apart_by_external_id(tenant_a, tenant_b):
    upsert(tenant_a, {"external_id": "SAME", "kind": "call", "number": "A"})
    upsert(tenant_b, {"external_id": "SAME", "kind": "chat", "number": "B"})
    with tenant_a.scope():
        assert list(WorkItem.objects.values_list("kind", "number")) == [("call", "A")]
    with tenant_b.scope():
        assert list(WorkItem.objects.values_list("kind", "number")) == [("chat", "B")]


def test_upsert_naive_datetime_is_read_in_organization_time_zone(tenant_a, unscoped):
    tenant_a.org.timezone = "Europe/Amsterdam"
    tenant_a.org.save()
    upsert(tenant_a, {"external_id": "TZ", "kind": "chat", "opened_at": "2025-03-01T10:30:00"})
    with tenant_a.scope():
        assert WorkItem.objects.get().opened_at == T0


def test_upsert_enqueues_processing_after_commit(tenant_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        summary = upsert(tenant_a, {"external_id": "Q1", "kind": "call"},
                         {"external_id": "Q2", "kind": "call"})
    assert len(callbacks) == 1
    assert len(summary.event_ids) == 2
    with tenant_a.scope():
        assert sorted(WorkEvent.objects.values_list("pk", flat=True)) == sorted(summary.event_ids)


class FakeCatalog:
    """A catalogue that knows only "VPN" and remembers what it was asked to create."""

    def __init__(self):
        self.created = []
        self.replaced = []

    def unknown(self, organization, names):
        return {n for n in names if n.lower() != "vpn"}

    def create(self, organization, names):
        self.created.extend(names)

    def replace_requirements(self, organization, requirements):
        self.replaced.append(requirements)


def test_upsert_asks_the_skill_catalogue(tenant_a):
    catalog = FakeCatalog()
    extensions.skill_catalog.register("test", catalog)
    with pytest.raises(services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, {"external_id": "K1", "kind": "incident", "skills": ["vpn", "Kerberos"]})
    assert errors_of(excinfo) == [
        {"index": 0, "field": "skills", "message": "Unknown skill: Kerberos."}
    ]
    upsert(tenant_a, {"external_id": "K1", "kind": "incident", "skills": ["vpn", "Kerberos"]},
           create_missing=True)
    assert catalog.created == ["Kerberos"]
    with tenant_a.scope():
        item_id = WorkItem.objects.get(external_id="K1").pk
    assert catalog.replaced == [{item_id: [("Kerberos", None), ("vpn", None)]}]
    with tenant_a.scope():
        assert list(RequestedSkill.objects.values_list("skill_name", flat=True)) == [
            "Kerberos", "vpn"
        ]
