"""Quality's work-event handler: score an interaction automatically when its transcript
arrives or changes (or its agent changes), on the worker, through the outbox."""

from work.enums import INTERACTION_KINDS, EventType
from work.extensions import after_work_event_committed
from work.models import Transcript, WorkEvent

from .services.autoscore import ScoringContext, score_interaction

AUTOSCORE = "quality.autoscore"
# Changes after which the automatic evaluation is written again: the transcript (ingest
# records ``"transcript": [old turn count, new turn count]``) and whose work it is.
RESCORE_ON = ("transcript", "assigned_to", "resolved_by")


@after_work_event_committed.register(AUTOSCORE)
def autoscore(events: list[WorkEvent]) -> None:
    # One scoring context per batch of events: the scorecard, learned scorers and
    # verified scorers are read once per batch (at most a minute old), never carried from
    # one batch to the next.
    due = []
    for event in events:
        item = event.work_item  # loaded with the event, its organization the scoped one
        if item.kind not in INTERACTION_KINDS:
            continue
        changes = event.changes or {}
        if event.type == EventType.CREATED or any(name in changes for name in RESCORE_ON):
            due.append(item)
    if not due:
        return
    # An interaction without a transcript has nothing to score: one query tells which
    # of the batch's have one (scoring reads each transcript itself).
    with_transcript = set(Transcript.objects.filter(work_item_id__in={i.pk for i in due})
                          .values_list("work_item_id", flat=True))
    context = ScoringContext()
    for item in due:
        if item.pk in with_transcript:
            score_interaction(interaction=item, context=context)
