"""``routing.auto_assign``: the work-event handler that routes new or reopened items."""

from tenancy.models import Organization
from work.enums import EventType
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import auto_assign

AUTO_ASSIGN = "routing.auto_assign"


@after_work_event_committed.register(AUTO_ASSIGN)
def auto_assign_on_event(event: WorkEvent) -> None:
    if event.type not in (EventType.CREATED, EventType.REOPENED):
        return
    item = event.work_item
    if item.assigned_to_id is not None:
        return
    organization = Organization.objects.get(pk=event.organization_id)
    auto_assign(organization=organization, item=item)
