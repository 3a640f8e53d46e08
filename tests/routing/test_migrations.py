"""routing 0002: the per-agent routing state is backfilled from the work items and events
already stored, per tenant, and removed on the way back."""

from datetime import UTC, datetime

import pytest

from tests import scratch_db

# Work as it is now (its later columns are NOT NULL), routing before its state.
WORK = ("work", "0005_transcript_workitem_queue_workitem_topic_and_more")
BEFORE = [("routing", "0001_initial"), WORK]
AFTER = [("routing", "0002_agent_state"), WORK]


@pytest.mark.django_db(transaction=True)
def test_backfill_counts_open_items_per_kind_and_the_last_assignment_per_tenant():
    with scratch_db.scratch_database():
        apps = scratch_db.migrate(BEFORE)
        Organization = apps.get_model("tenancy", "Organization")
        User = apps.get_model("tenancy", "User")
        WorkItem = apps.get_model("work", "WorkItem")
        WorkEvent = apps.get_model("work", "WorkEvent")
        ours = Organization.objects.create(slug="ours", name="Ours")
        theirs = Organization.objects.create(slug="theirs", name="Theirs")
        ann, ben = User.objects.create(username="ann"), User.objects.create(username="ben")

        def item(org, external_id, kind, state, agent):
            return WorkItem.objects.create(organization=org, external_id=external_id,
                                           kind=kind, state=state, assigned_to=agent)

        def event(item, changes, day):
            WorkEvent.objects.create(organization=item.organization, work_item=item,
                                     type="updated", changes=changes,
                                     occurred_at=datetime(2026, 11, day, tzinfo=UTC))

        a = item(ours, "A", "incident", "in_progress", ann)
        b = item(ours, "B", "incident", "new", ann)
        c = item(ours, "C", "chat", "closed", ben)
        d = item(theirs, "D", "incident", "on_hold", ben)
        event(a, {"assigned_to": [None, "ann"]}, 1)
        event(b, {"assigned_to": [None, "ann"]}, 3)
        event(c, {"assigned_to": ["ann", "ben"]}, 2)
        event(c, {"state": ["resolved", "closed"]}, 9)
        event(d, {"assigned_to": [None, "ben"]}, 7)

        apps = scratch_db.migrate(AFTER)
        AgentOpenItems = apps.get_model("routing", "AgentOpenItems")
        AgentRoutingState = apps.get_model("routing", "AgentRoutingState")
        assert sorted(AgentOpenItems.objects.values_list(
            "organization__slug", "user__username", "kind", "open_items")) == [
            ("ours", "ann", "incident", 2), ("theirs", "ben", "incident", 1)]
        assert sorted(AgentRoutingState.objects.values_list(
            "organization__slug", "user__username", "last_assigned_at")) == [
            ("ours", "ann", datetime(2026, 11, 3, tzinfo=UTC)),
            ("ours", "ben", datetime(2026, 11, 2, tzinfo=UTC)),
            ("theirs", "ben", datetime(2026, 11, 7, tzinfo=UTC))]
