"""The outbox: hand work events to the registered handlers, once each, and never lose one.

Events are written with the change (see :mod:`work.services.items`) and dispatched after
commit. If the broker is down the dispatch fails quietly; the sweeper
(:func:`redispatch_stale_events`, a beat task) re-sends every event still unprocessed a
minute after its last dispatch.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.models import Organization

from .. import extensions
from ..models import HandlerRun, WorkEvent

logger = logging.getLogger(__name__)

DISPATCH_CHUNK = 1000


def dispatch_events(organization_id: int, event_ids: list[int]) -> None:
    """Enqueue processing of the events (after commit). A broker error is logged, not
    raised: the write is committed and the sweeper will send the events again."""
    from ..tasks import process_work_events

    for start in range(0, len(event_ids), DISPATCH_CHUNK):
        chunk = event_ids[start:start + DISPATCH_CHUNK]
        try:
            process_work_events.apply_async(
                kwargs={"organization_id": organization_id, "event_ids": chunk},
                retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
            )
        except Exception:
            logger.warning(
                "Could not enqueue %d work events of organization %s; the sweeper will "
                "re-dispatch them.", len(chunk), organization_id, exc_info=True,
            )


PROCESS_CHUNK = 100


def process_work_events(*, organization: Organization, event_ids: list[int]) -> int:
    """Run every registered handler that has not yet run for each event; return how many
    events got processed now.

    Works in transactions of up to 100 events. The events are locked (``FOR UPDATE SKIP
    LOCKED``: events a concurrent worker holds are left to it). Each handler runs in a
    savepoint; its :class:`HandlerRun` row, whose unique key (event, handler) keeps a
    handler to one run per event, commits in the same transaction as the handler's writes.
    A failing handler is logged and recorded in ``last_error``; the event stays unprocessed
    and the sweeper later retries only the handlers that did not finish.
    """
    processed = 0
    for start in range(0, len(event_ids), PROCESS_CHUNK):
        processed += _process_chunk(organization, event_ids[start:start + PROCESS_CHUNK])
    return processed


def process_work_event(*, organization: Organization, event_id: int) -> bool:
    """Process one event (see :func:`process_work_events`); return whether it is done."""
    return process_work_events(organization=organization, event_ids=[event_id]) == 1


def _process_chunk(organization: Organization, event_ids: list[int]) -> int:
    handlers = extensions.handlers()
    with transaction.atomic():
        events = list(
            WorkEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("work_item")
            .filter(organization=organization, pk__in=event_ids, processed_at__isnull=True)
            .order_by("pk")
        )
        if not events:
            return 0
        done: set[tuple[int, str]] = set(
            HandlerRun.objects.filter(event__in=events).values_list("event_id", "handler")
        )
        runs, finished, failed = [], [], []
        for event in events:
            failures = []
            for name, handler in handlers:
                if (event.pk, name) in done:
                    continue
                try:
                    with transaction.atomic():
                        handler(event)
                except Exception as error:
                    logger.exception("Handler %s failed on work event %s", name, event.pk)
                    failures.append(f"{name}: {error!r}")
                else:
                    runs.append(HandlerRun(organization=organization, event=event, handler=name))
            if failures:
                event.last_error = "\n".join(failures)[:10_000]
                failed.append(event)
            else:
                finished.append(event.pk)
        HandlerRun.objects.bulk_create(runs)
        if finished:
            WorkEvent.objects.filter(pk__in=finished).update(
                processed_at=timezone.now(), last_error=""
            )
        if failed:
            WorkEvent.objects.bulk_update(failed, ["last_error"])
    return len(finished)


def redispatch_stale_events(
    *, older_than: timedelta | None = None, limit: int = 50_000
) -> int:
    """Send again every event left unprocessed since its last dispatch (all tenants).

    Claims the events with ``FOR UPDATE SKIP LOCKED`` and moves their ``dispatched_at`` to
    now, so two sweepers never send the same event twice in one round. Events dispatched
    ``WORK_EVENT_MAX_DISPATCHES`` times are left alone (their ``last_error`` says why).
    Returns the number of events re-dispatched.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.WORK_EVENT_REDISPATCH_AFTER_SECONDS)
    now = timezone.now()
    by_organization: dict[int, list[int]] = {}
    with scopes_disabled(), transaction.atomic():
        rows = list(
            WorkEvent.objects.select_for_update(skip_locked=True)
            .filter(
                processed_at__isnull=True,
                dispatched_at__lt=now - older_than,
                dispatch_count__lt=settings.WORK_EVENT_MAX_DISPATCHES,
            )
            .order_by("dispatched_at")
            .values_list("pk", "organization_id")[:limit]
        )
        if not rows:
            return 0
        WorkEvent.objects.filter(pk__in=[pk for pk, _org in rows]).update(
            dispatched_at=now, dispatch_count=F("dispatch_count") + 1
        )
        for pk, organization_id in rows:
            by_organization.setdefault(organization_id, []).append(pk)
        for organization_id, event_ids in by_organization.items():
            transaction.on_commit(
                lambda org=organization_id, ids=event_ids: dispatch_events(org, ids)
            )
    logger.info("Re-dispatched %d unprocessed work events.", len(rows))
    return len(rows)
