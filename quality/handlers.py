"""Quality's work-event handler: score an interaction automatically when its transcript
arrives or changes (or its agent changes), on the worker, through the outbox."""

from celery import current_task
from django_scopes import get_scope

from tenancy.models import Organization
from work.enums import INTERACTION_KINDS, EventType
from work.extensions import after_work_event_committed
from work.models import WorkEvent

from .services.autoscore import ScoringContext, score_interaction

AUTOSCORE = "quality.autoscore"
# Changes after which the automatic evaluation is written again: the transcript (ingest
# records ``"transcript": [old turn count, new turn count]``) and whose work it is.
RESCORE_ON = ("transcript", "assigned_to", "resolved_by")

_batch: tuple[str, ScoringContext] | None = None


def _context() -> ScoringContext | None:
    """The scoring context of the batch of events being processed: one per run of the
    outbox task (a run processes up to a thousand events of one tenant), so the scorecard,
    learned scorers and verified scorers are read once per batch (at most a minute old),
    never carried from one run to the next. ``None`` outside a task (read afresh)."""
    global _batch  # noqa: PLW0603 (one context per process, replaced per task run)
    request_id = getattr(getattr(current_task, "request", None), "id", None)
    if not request_id:
        return None
    if _batch is None or _batch[0] != request_id:
        _batch = (request_id, ScoringContext())
    return _batch[1]


@after_work_event_committed.register(AUTOSCORE)
def autoscore(event: WorkEvent) -> None:
    item = event.work_item  # loaded with the event
    if item.kind not in INTERACTION_KINDS:
        return
    changes = event.changes or {}
    if event.type == EventType.CREATED or any(name in changes for name in RESCORE_ON):
        # The outbox task runs in the tenant's scope with the organization loaded.
        scoped = get_scope().get("organization")
        if isinstance(scoped, Organization) and scoped.pk == item.organization_id:
            item.organization = scoped
        score_interaction(interaction=item, context=_context())
