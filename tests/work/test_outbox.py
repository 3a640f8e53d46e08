"""The outbox in-process: handlers once per event, failures retried, the sweeper, demo data."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from work import extensions, services
from work.demo import seed_work_items
from work.handlers import RECORD_PROCESSING
from work.models import HandlerRun, WorkEvent, WorkItem


@pytest.fixture
def only_handlers():
    """Replace the registered handlers for one test, restoring them afterwards."""
    with extensions.after_work_event_committed.replaced() as handlers:

        def install(**fns):
            for name, fn in fns.items():
                handlers.register(name, fn)

        yield install


def write(tenant, count=2):
    with tenant.scope():
        return services.upsert_work_items(
            organization=tenant.org,
            items=[{"external_id": f"E{i}", "kind": "email"} for i in range(count)],
        ).event_ids


def test_process_runs_each_handler_once_per_event(tenant_a, only_handlers):
    calls = []
    only_handlers(**{"a.first": lambda event: calls.append(("a", event.pk)),
                     "b.second": lambda event: calls.append(("b", event.pk))})
    event_ids = write(tenant_a)
    with tenant_a.scope():
        assert services.process_work_events(organization=tenant_a.org, event_ids=event_ids) == 2
        assert services.process_work_events(organization=tenant_a.org, event_ids=event_ids) == 0
        runs = sorted(HandlerRun.objects.values_list("event_id", "handler"))
        unprocessed = WorkEvent.objects.filter(processed_at__isnull=True).count()
    assert calls == [("a", event_ids[0]), ("b", event_ids[0]),
                     ("a", event_ids[1]), ("b", event_ids[1])]
    assert runs == [(event_ids[0], "a.first"), (event_ids[0], "b.second"),
                    (event_ids[1], "a.first"), (event_ids[1], "b.second")]
    assert unprocessed == 0


def test_failing_handler_is_retried_alone_and_its_writes_roll_back(tenant_a, only_handlers):
    attempts = []

    def flaky(event):
        attempts.append(event.pk)
        WorkItem.objects.filter(pk=event.work_item_id).update(number="TOUCHED")
        if len(attempts) == 1:
            raise RuntimeError("remote system down")

    ok_calls = []
    only_handlers(**{"a.ok": lambda event: ok_calls.append(event.pk), "b.flaky": flaky})
    [event_id] = write(tenant_a, 1)
    with tenant_a.scope():
        assert not services.process_work_event(organization=tenant_a.org, event_id=event_id)
        event = WorkEvent.objects.select_related("work_item").get()
        assert event.processed_at is None
        assert event.last_error == "b.flaky: RuntimeError('remote system down')"
        assert event.work_item.number == ""  # the failed handler's write rolled back
        assert services.process_work_event(organization=tenant_a.org, event_id=event_id)
        event.refresh_from_db()
        assert event.processed_at is not None
        assert event.last_error == ""
        assert WorkItem.objects.get().number == "TOUCHED"
    assert ok_calls == [event_id]  # the handler that succeeded did not run again
    assert attempts == [event_id, event_id]


def test_events_of_another_tenant_are_not_processed(tenant_a, tenant_b):
    event_ids = write(tenant_b)
    with tenant_a.scope():
        assert services.process_work_events(organization=tenant_a.org, event_ids=event_ids) == 0
    with scopes_disabled():
        assert HandlerRun.objects.count() == 0


def test_sweeper_redispatches_only_stale_unprocessed_events(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    stale_a, fresh_a = write(tenant_a, 2)
    stale_b, done_b = write(tenant_b, 2)
    long_ago = timezone.now() - timedelta(minutes=5)
    with scopes_disabled():
        WorkEvent.objects.filter(pk__in=[stale_a, stale_b, done_b]).update(dispatched_at=long_ago)
        WorkEvent.objects.filter(pk=done_b).update(processed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.redispatch_stale_events() == 2
    assert len(callbacks) == 2  # one dispatch per organization
    with scopes_disabled():
        counts = dict(WorkEvent.objects.values_list("pk", "dispatch_count"))
    assert (counts[stale_a], counts[fresh_a], counts[stale_b], counts[done_b]) == (2, 1, 2, 1)
    # Just re-dispatched: not stale any more.
    assert services.redispatch_stale_events() == 0


def test_sweeper_gives_up_after_the_maximum_dispatches(tenant_a, settings):
    settings.WORK_EVENT_MAX_DISPATCHES = 3
    [event_id] = write(tenant_a, 1)
    with scopes_disabled():
        WorkEvent.objects.filter(pk=event_id).update(
            dispatch_count=3, dispatched_at=timezone.now() - timedelta(hours=1)
        )
    assert services.redispatch_stale_events() == 0


def test_builtin_handler_is_registered():
    assert RECORD_PROCESSING in dict(extensions.handlers())


def test_demo_seed_creates_varied_items_once(tenant_a):
    from tenancy.demo import DemoPeople

    coach = tenant_a.member("coach")
    agents = [tenant_a.member("agent") for _ in range(4)]
    teams = [tenant_a.team("Service Desk", manager=coach, members=agents[:2]),
             tenant_a.team("Customer Care", manager=coach, members=agents[2:])]
    people = DemoPeople(coach, [coach], None, None, None, agents, teams)
    with extensions.skill_catalog.replaced(), tenant_a.scope():
        seed_work_items(tenant_a.org, people)
        seed_work_items(tenant_a.org, people)  # idempotent
        items = WorkItem.objects.all()
        kinds = set(items.values_list("kind", flat=True))
        total = items.count()
        reassigned = items.filter(reassignment_count__gt=0).count()
        reopened = items.filter(reopen_count__gt=0).count()
        escalated = items.filter(escalated=True).count()
        breached = items.filter(sla_breached=True).count()
    assert total == 400
    assert kinds >= {"incident", "request", "case", "call", "chat", "email"}
    assert min(reassigned, reopened, escalated, breached) > 0
