"""Quality's work-event handler: score an interaction automatically when its transcript
arrives or changes (or its agent changes), on the worker, through the outbox."""

from work.enums import INTERACTION_KINDS, EventType
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services.autoscore import score_interaction

AUTOSCORE = "quality.autoscore"
# Changes after which the automatic evaluation is written again: the transcript (ingest
# records ``"transcript": [old turn count, new turn count]``) and whose work it is.
RESCORE_ON = ("transcript", "assigned_to", "resolved_by")


@after_work_event_committed.register(AUTOSCORE)
def autoscore(event: WorkEvent) -> None:
    item = event.work_item
    if item.kind not in INTERACTION_KINDS:
        return
    changes = event.changes or {}
    if event.type == EventType.CREATED or any(name in changes for name in RESCORE_ON):
        score_interaction(interaction=item)
