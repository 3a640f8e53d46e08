"""The handler ``work`` ships: it records that events went through the outbox.

Its :class:`~work.models.HandlerRun` rows (written with the run, one per event) are the
processing record; the log lines help when following an event through the worker logs.
Later features register their own handlers in :mod:`work.extensions`.
"""

import logging

from .extensions import after_work_event_committed
from .models import WorkEvent

logger = logging.getLogger(__name__)

RECORD_PROCESSING = "work.record_processing"


@after_work_event_committed.register(RECORD_PROCESSING)
def record_processing(events: list[WorkEvent]) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        for event in events:
            logger.debug("work event %s (%s) of item %s processed", event.pk, event.type,
                         event.work_item_id)
