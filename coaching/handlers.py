"""The work-event handler of the trigger pipeline (registered with the outbox)."""

from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services import open_assessments_for_events

OPEN_ASSESSMENTS = "coaching.open_assessments"


@after_work_event_committed.register(OPEN_ASSESSMENTS)
def open_assessments(events: list[WorkEvent]) -> None:
    open_assessments_for_events(events=events)  # in event order, agents locked in id order
