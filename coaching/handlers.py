"""The work-event handler of the trigger pipeline (registered with the outbox)."""

from work.models import WorkEvent
from work.registry import register_handler

from .services import open_assessments_for_event

OPEN_ASSESSMENTS = "coaching.open_assessments"


@register_handler(OPEN_ASSESSMENTS)
def open_assessments(event: WorkEvent) -> None:
    open_assessments_for_event(event=event)
