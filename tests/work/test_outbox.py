"""The outbox in-process: handlers once per event, failures retried, the sweeper, demo data."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from work import extensions, services
from work.demo import seed_work_items
from work.handlers import RECORD_PROCESSING
from work.models import HandlerRun, WorkEvent, WorkItem
from work.services.events import retry_delay


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
    only_handlers(**{"a.first": lambda events: calls.extend(("a", e.pk) for e in events),
                     "b.second": lambda events: calls.extend(("b", e.pk) for e in events)})
    event_ids = write(tenant_a)
    with tenant_a.scope():
        assert services.process_work_events(organization=tenant_a.org, event_ids=event_ids) == 2
        assert services.process_work_events(organization=tenant_a.org, event_ids=event_ids) == 0
        runs = sorted(HandlerRun.objects.values_list("event_id", "handler"))
        unprocessed = WorkEvent.objects.filter(processed_at__isnull=True).count()
    # Each handler once over the batch, the events in id order.
    assert calls == [("a", event_ids[0]), ("a", event_ids[1]),
                     ("b", event_ids[0]), ("b", event_ids[1])]
    assert runs == [(event_ids[0], "a.first"), (event_ids[0], "b.second"),
                    (event_ids[1], "a.first"), (event_ids[1], "b.second")]
    assert unprocessed == 0


def test_failing_handler_is_retried_alone_and_its_writes_roll_back(tenant_a, only_handlers):
    attempts = []

    def flaky(events):
        [event] = events
        attempts.append(event.pk)
        WorkItem.objects.filter(pk=event.work_item_id).update(number="TOUCHED")
        if len(attempts) == 1:
            raise RuntimeError("remote system down")

    ok_calls = []
    only_handlers(**{"a.ok": lambda events: ok_calls.extend(e.pk for e in events),
                     "b.flaky": flaky})
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

    coach = tenant_a.member(roles=["coach"])
    agents = [tenant_a.member(roles=["agent"]) for _ in range(4)]
    teams = [tenant_a.team(name="Service Desk", manager=coach, members=agents[:2]),
             tenant_a.team(name="Customer Care", manager=coach, members=agents[2:])]
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


# --- one bad event never holds back the others (issue 12, item 3) ------------------------


def _states(event_ids):
    with scopes_disabled():
        rows = WorkEvent.objects.filter(pk__in=event_ids).values_list(
            "pk", "processed_at", "attempts", "last_error"
        )
        return {pk: (processed is not None, attempts, error)
                for pk, processed, attempts, error in rows}


def test_failing_event_is_isolated_and_the_rest_of_its_chunk_is_processed(
    tenant_a, only_handlers
):
    event_ids = write(tenant_a, 100)
    bad = event_ids[37]

    batches = []

    def picky(events):
        batches.append(len(events))
        for event in events:
            WorkItem.objects.filter(pk=event.work_item_id).update(number="TOUCHED")
            if event.pk == bad:
                raise RuntimeError("cannot handle this one")

    only_handlers(**{"a.ok": lambda events: None, "b.picky": picky})
    before = timezone.now()
    with tenant_a.scope():
        assert services.process_work_events(organization=tenant_a.org,
                                            event_ids=event_ids) == 99
        touched = set(WorkItem.objects.filter(number="TOUCHED").values_list("pk", flat=True))
        bad_item = WorkEvent.objects.get(pk=bad).work_item_id
        retry_at = WorkEvent.objects.get(pk=bad).retry_at
        runs = HandlerRun.objects.filter(event_id=bad).values_list("handler", flat=True)
        assert list(runs) == ["a.ok"]
        assert HandlerRun.objects.count() == 99 * 2 + 1
    states = _states(event_ids)
    assert states[bad] == (False, 1, "b.picky: RuntimeError('cannot handle this one')")
    assert {states[pk] for pk in event_ids if pk != bad} == {(True, 1, "")}
    assert len(touched) == 99 and bad_item not in touched  # its write rolled back
    assert batches == [100] + [1] * 100  # the batch failed: then event by event
    assert before + timedelta(seconds=60) <= retry_at <= timezone.now() + timedelta(seconds=60)


def test_unreadable_event_is_isolated_and_recorded(tenant_a, only_handlers):
    """A value the database holds but Python cannot read (a date of 1 BC) fails only the
    event that carries it."""
    from django.db import connection

    calls = []
    only_handlers(**{"a.ok": lambda events: calls.extend(e.pk for e in events)})
    event_ids = write(tenant_a, 3)
    with scopes_disabled():
        poison_item = WorkEvent.objects.get(pk=event_ids[1]).work_item_id
    with connection.cursor() as cursor:
        stamp = ("0001-01-01 00:00:00+01" if connection.vendor == "postgresql"
                 else "0000-12-31 23:00:00")  # what year 1 at +01:00 becomes in UTC
        cursor.execute("UPDATE work_workitem SET opened_at = %s WHERE id = %s",
                       [stamp, poison_item])
    with tenant_a.scope():
        assert services.process_work_events(organization=tenant_a.org,
                                            event_ids=event_ids) == 2
    assert calls == [event_ids[0], event_ids[2]]
    states = _states(event_ids)
    assert states[event_ids[0]] == states[event_ids[2]] == (True, 1, "")
    processed, attempts, error = states[event_ids[1]]
    assert (processed, attempts) == (False, 1)
    assert error.startswith("processing: ")
    assert "year" in error


def test_retry_delay_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]


def test_failed_event_is_retried_after_its_backoff_then_given_up_then_retried_by_hand(
    tenant_a, only_handlers, settings, django_capture_on_commit_callbacks
):
    settings.WORK_EVENT_MAX_ATTEMPTS = 2
    broken = {"yes": True}

    def flaky(events):
        if broken["yes"]:
            raise RuntimeError("remote system down")

    only_handlers(**{"a.flaky": flaky})
    [event_id] = write(tenant_a, 1)
    long_ago = timezone.now() - timedelta(hours=2)

    def age_dispatch():
        with scopes_disabled():
            WorkEvent.objects.filter(pk=event_id).update(dispatched_at=long_ago)

    def process():
        with tenant_a.scope():
            return services.process_work_event(organization=tenant_a.org, event_id=event_id)

    assert not process()
    age_dispatch()
    assert services.redispatch_stale_events() == 0  # waiting for its retry time
    with scopes_disabled():
        WorkEvent.objects.filter(pk=event_id).update(retry_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        assert services.redispatch_stale_events() == 1
    assert not process()
    with scopes_disabled():
        event = WorkEvent.objects.get(pk=event_id)
    assert (event.attempts, event.retry_at, event.last_error) == (
        2, None, "a.flaky: RuntimeError('remote system down')"
    )
    age_dispatch()
    assert services.redispatch_stale_events() == 0  # given up: an operator decides

    broken["yes"] = False
    with tenant_a.scope(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.retry_work_events(organization=tenant_a.org,
                                          event_ids=[event_id]) == 1
    assert len(callbacks) == 1  # sent again now
    assert process()
    assert _states([event_id]) == {event_id: (True, 1, "")}


def test_retry_work_events_leaves_other_tenants_and_processed_events_alone(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    done_a, waiting_a = write(tenant_a, 2)
    [event_b] = write(tenant_b, 1)
    with scopes_disabled():
        WorkEvent.objects.filter(pk=done_a).update(processed_at=timezone.now())
    with tenant_a.scope(), django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.retry_work_events(organization=tenant_a.org,
                                          event_ids=[done_a, waiting_a, event_b]) == 1
    assert len(callbacks) == 1
    with scopes_disabled():
        counts = dict(WorkEvent.objects.values_list("pk", "dispatch_count"))
    assert counts == {done_a: 1, waiting_a: 2, event_b: 1}


def test_admin_shows_failing_events_and_retries_them(
    tenant_a, tenant_b, only_handlers, client, settings, django_capture_on_commit_callbacks
):
    settings.WORK_EVENT_MAX_ATTEMPTS = 1
    only_handlers(**{"a.broken": lambda events: 1 / 0})
    ok_a, bad_a = write(tenant_a, 2)
    [bad_b] = write(tenant_b, 1)
    with tenant_a.scope():
        services.process_work_events(organization=tenant_a.org, event_ids=[bad_a])
    with tenant_b.scope():
        services.process_work_events(organization=tenant_b.org, event_ids=[bad_b])
    with scopes_disabled():
        WorkEvent.objects.filter(pk=ok_a).update(processed_at=timezone.now(), attempts=1)
    client.force_login(tenant_a.member(roles=["org_admin"], is_staff=True))

    page = client.get("/admin/work/workevent/", {"processing": "given_up"})
    assert page.status_code == 200
    assert [e.pk for e in page.context["cl"].result_list] == [bad_a]
    assert "given up after 1 failed tries" in page.content.decode()
    detail = client.get(f"/admin/work/workevent/{bad_a}/change/").content.decode()
    assert "a.broken: ZeroDivisionError(&#x27;division by zero&#x27;)" in detail

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/admin/work/workevent/", {
            "action": "retry", "_selected_action": [str(ok_a), str(bad_a), str(bad_b)],
        })
    assert response.status_code == 302
    assert len(callbacks) == 1
    with scopes_disabled():
        attempts = dict(WorkEvent.objects.values_list("pk", "attempts"))
    assert attempts == {ok_a: 1, bad_a: 0, bad_b: 1}  # the other tenant's event untouched
