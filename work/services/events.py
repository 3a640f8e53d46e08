"""The outbox: hand work events to the registered handlers, once each, and never lose one.

Events are written with the change (see :mod:`work.services.items`) and dispatched after
commit. If the broker is down the dispatch fails quickly and quietly; the sweeper
(:func:`redispatch_stale_events`, a beat task) re-sends every event still unprocessed a
minute after its last dispatch.

Events are processed in batches (a transaction each, every handler once over the batch),
and one bad event (a handler that raises, a value that cannot be read) never holds back
the others: the batch is run again event by event, and the bad one's error and attempt
count are recorded on the event, and the sweeper retries it with exponential backoff until
``WORK_EVENT_MAX_ATTEMPTS`` tries have failed (then it waits for an operator, who sees it
in the admin and can retry it there).
"""

import contextlib
import logging
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import Error, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.background import enqueue
from tenancy.models import Organization

from .. import extensions
from ..models import HandlerRun, WorkEvent, WorkItem

logger = logging.getLogger(__name__)

DISPATCH_CHUNK = 1000
MAX_RETRY_DELAY = timedelta(hours=1)


def dispatch_events(organization_id: int, event_ids: list[int]) -> None:
    """Enqueue processing of the events (after commit). A broker error is logged, not
    raised: the write is committed and the sweeper will send the events again. Celery's
    settings bound the attempt to well under a second."""
    for start in range(0, len(event_ids), DISPATCH_CHUNK):
        chunk = event_ids[start:start + DISPATCH_CHUNK]
        try:
            enqueue("work.process_events", organization_id=organization_id, event_ids=chunk)
        except Exception:
            logger.warning(
                "Could not enqueue %d work events of organization %s; the sweeper will "
                "re-dispatch them.", len(chunk), organization_id, exc_info=True,
            )


def process_work_events(*, organization: Organization, event_ids: list[int]) -> int:
    """Run every registered handler that has not yet run for each event; return how many
    events got processed now.

    The events go in batches of ``WORK_EVENT_BATCH_SIZE``, a transaction each, pinned to
    the organization: the batch's unprocessed event rows are claimed at once (``FOR UPDATE
    SKIP LOCKED``: an event a concurrent worker holds is left to it), each handler runs
    once over the batch in a savepoint, and the :class:`HandlerRun` rows, whose unique key
    (event, handler) keeps a handler to one run per event, commit with the handlers'
    writes. A handler that raises on a batch is run again event by event, each in a
    savepoint of its own, so only the event it fails on is held back: that event records
    the error, its attempt count and when to retry (see :func:`redispatch_stale_events`);
    the handlers that finished are not run again, and the other events go on. A batch
    that cannot even be read (a value Python cannot load) is processed event by event.
    """
    handlers = extensions.handlers()
    ids = sorted(set(event_ids))
    size = settings.WORK_EVENT_BATCH_SIZE
    processed = 0
    with rls.tenant(organization), _commits_without_waiting_for_the_disk():
        for start in range(0, len(ids), size):
            chunk = ids[start:start + size]
            try:
                processed += _process_batch(organization, chunk, handlers)
            except Exception:
                if len(chunk) > 1:
                    logger.warning("A batch of %d work events could not be processed; "
                                   "processing them one by one.", len(chunk), exc_info=True)
                processed += _process_one_by_one(organization, chunk, handlers)
    return processed


def process_work_event(*, organization: Organization, event_id: int) -> bool:
    """Process one event (see :func:`process_work_events`); return whether it is done."""
    return process_work_events(organization=organization, event_ids=[event_id]) == 1


def retry_delay(attempts: int) -> timedelta:
    """How long a failed event waits before the next try: the redispatch delay, doubled
    per failed try, at most an hour."""
    base = settings.WORK_EVENT_REDISPATCH_AFTER_SECONDS
    return min(timedelta(seconds=base * 2 ** min(attempts - 1, 20)), MAX_RETRY_DELAY)


def _process_one_by_one(organization: Organization, event_ids: list[int], handlers) -> int:
    processed = 0
    for event_id in event_ids:
        try:
            processed += _process_batch(organization, [event_id], handlers)
        except Exception as error:
            # Its transaction rolled back (a value that cannot be read, say).
            logger.exception("Work event %s could not be processed", event_id)
            try:
                _record_failure(organization, event_id, [f"processing: {error!r}"])
            except Error:
                logger.exception("The failure of work event %s was not recorded; the "
                                 "sweeper sends it again.", event_id)
    return processed


def _process_batch(organization: Organization, event_ids: list[int], handlers) -> int:
    with transaction.atomic():
        events = list(
            WorkEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(organization=organization, pk__in=event_ids, processed_at__isnull=True)
            .order_by("pk")
        )
        if not events:
            return 0  # processed already, another tenant's, or held by another worker
        # The items by primary key in a query of their own: joined to the events, the
        # planner could walk the whole item table's primary key to meet a few events.
        items = WorkItem.objects.in_bulk({event.work_item_id for event in events})
        for event in events:  # the scoped organization: no query per event for it
            event.organization = organization
            event.work_item = items[event.work_item_id]
            event.work_item.organization = organization
        done: dict[int, set[str]] = defaultdict(set)
        retried = [event.pk for event in events if event.attempts]
        if retried:
            for event_id, name in HandlerRun.objects.filter(
                    event_id__in=retried).values_list("event_id", "handler"):
                done[event_id].add(name)
        failures: dict[int, list[str]] = defaultdict(list)
        runs = []
        for name, handler in handlers:
            pending = [event for event in events if name not in done[event.pk]]
            if pending:
                runs += [HandlerRun(organization=organization, event=event, handler=name)
                         for event in _run_handler(name, handler, pending, failures)]
        HandlerRun.objects.bulk_create(runs)
        succeeded = [event.pk for event in events if event.pk not in failures]
        if succeeded:
            WorkEvent.objects.filter(pk__in=succeeded).update(
                processed_at=timezone.now(), attempts=F("attempts") + 1, retry_at=None,
                last_error="",
            )
        for event in events:
            if event.pk in failures:
                _record_failure(organization, event.pk, failures[event.pk],
                                attempts=event.attempts)
        return len(succeeded)


def _run_handler(name: str, handler, events: list[WorkEvent],
                 failures: dict[int, list[str]]) -> list[WorkEvent]:
    """Run ``handler`` over the events in a savepoint; when it raises, over each event in
    a savepoint of its own. Return the events it processed; record the others' errors."""
    if len(events) > 1:
        try:
            with transaction.atomic():
                handler(events)
        except Exception:
            logger.warning("Handler %s failed on a batch of %d work events; running it "
                           "event by event.", name, len(events), exc_info=True)
        else:
            return events
    succeeded = []
    for event in events:
        try:
            with transaction.atomic():
                handler([event])
        except Exception as error:
            logger.exception("Handler %s failed on work event %s", name, event.pk)
            failures[event.pk].append(f"{name}: {error!r}")
        else:
            succeeded.append(event)
    return succeeded


def _record_failure(organization: Organization, event_id: int, failures: list[str], *,
                    attempts: int | None = None) -> None:
    """Count a failed try on the event, with its errors and the time of the next one."""
    with transaction.atomic():
        if attempts is None:  # the event's own transaction rolled back: claim it again
            attempts = (
                WorkEvent.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(organization=organization, pk=event_id, processed_at__isnull=True)
                .values_list("attempts", flat=True).first()
            )
            if attempts is None:
                return
        attempts += 1
        retry_at: datetime | None = timezone.now() + retry_delay(attempts)
        if attempts >= settings.WORK_EVENT_MAX_ATTEMPTS:
            retry_at = None
            logger.error("Work event %s failed %d times; it is left for an operator.",
                         event_id, attempts)
        WorkEvent.objects.filter(pk=event_id).update(
            attempts=attempts, retry_at=retry_at, last_error="\n".join(failures)[:10_000]
        )


@contextmanager
def _commits_without_waiting_for_the_disk():
    """A transaction per event would otherwise wait for a disk flush per event. Losing the
    last commits in a database crash is harmless here: an event's handler writes and its
    run records are lost together, and the sweeper sends the event again."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with contextlib.suppress(Error), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def retry_work_events(*, organization: Organization, event_ids: list[int]) -> int:
    """Give unprocessed events (failed, or given up on) a fresh series of attempts and
    send them now; return how many. Their last error stays until a try succeeds.

    Side effects: resets ``attempts`` and ``retry_at``, counts a dispatch, and enqueues the
    events after commit.
    """
    with transaction.atomic():
        ids = list(
            WorkEvent.objects.filter(organization=organization, pk__in=event_ids,
                                     processed_at__isnull=True)
            .order_by("pk").values_list("pk", flat=True)
        )
        if ids:
            WorkEvent.objects.filter(pk__in=ids).update(
                attempts=0, retry_at=None, dispatched_at=timezone.now(),
                dispatch_count=F("dispatch_count") + 1,
            )
            transaction.on_commit(partial(dispatch_events, organization.pk, ids))
    return len(ids)


def redispatch_stale_events(
    *, older_than: timedelta | None = None, limit: int = 50_000
) -> int:
    """Send again every event left unprocessed since its last dispatch (all tenants).

    Claims the events with ``FOR UPDATE SKIP LOCKED`` and moves their ``dispatched_at`` to
    now, so two sweepers never send the same event twice in one round. A failed event
    waits until its ``retry_at``; events dispatched ``WORK_EVENT_MAX_DISPATCHES`` times or
    failed ``WORK_EVENT_MAX_ATTEMPTS`` times are left alone (``last_error`` says why).
    Returns the number of events re-dispatched.
    """
    if older_than is None:
        older_than = timedelta(seconds=settings.WORK_EVENT_REDISPATCH_AFTER_SECONDS)
    now = timezone.now()
    by_organization: dict[int, list[int]] = {}
    with scopes_disabled(), rls.platform("outbox sweeper"), transaction.atomic():
        rows = list(
            WorkEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                processed_at__isnull=True,
                dispatched_at__lt=now - older_than,
                dispatch_count__lt=settings.WORK_EVENT_MAX_DISPATCHES,
                attempts__lt=settings.WORK_EVENT_MAX_ATTEMPTS,
            )
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
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
