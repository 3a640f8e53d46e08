"""``routing.auto_assign``: the work-event handler that routes new or reopened items."""

from work.enums import EventType
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import auto_assign

AUTO_ASSIGN = "routing.auto_assign"


@after_work_event_committed.register(AUTO_ASSIGN)
def auto_assign_on_events(events: list[WorkEvent]) -> None:
    for event in events:
        if event.type not in (EventType.CREATED, EventType.REOPENED):
            continue
        item = event.work_item
        if item.assigned_to_id is None:
            # The outbox hands over the events with their organization loaded.
            auto_assign(organization=event.organization, item=item)
