"""The whole outbox path with a real Celery worker process, PostgreSQL and Redis.

1. API batch in → events written → every handler ran once per event (the worker consumed
   the tasks enqueued after commit; a duplicate delivery changes nothing).
2. The broker is unreachable while items are written (the dispatch after commit fails and
   is only logged); a worker with beat then starts and the sweeper gets every event
   processed.

Each test runs its worker on a queue of its own, against this run's test database.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from config.celery import app as celery_app
from opportunities.models import OpportunityMatch
from opportunities.services import OpportunityData, save_opportunity
from work import extensions
from work.models import HandlerRun, WorkEvent, WorkImport, WorkItem
from work.tasks import process_work_events

from .conftest import ApiClient, make_token

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                       reason="REDIS_URL is not set: these tests run a real Celery worker "
                              "against Redis (CI sets it)."),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="a worker process cannot share the SQLite test database; "
                              "set DATABASE_URL to PostgreSQL."),
    pytest.mark.django_db(transaction=True),
]


def _reset_producer_caches() -> None:
    for name in ("queues", "default_queue", "router"):
        celery_app.amqp.__dict__.pop(name, None)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def queue():
    """A queue of our own, so no other worker on this Redis takes our tasks."""
    name = f"coachdesk-test-{uuid.uuid4().hex[:10]}"
    previous = celery_app.conf.task_default_queue, celery_app.conf.broker_url
    celery_app.conf.task_default_queue = name
    _reset_producer_caches()
    yield name
    celery_app.conf.task_default_queue, celery_app.conf.broker_url = previous
    _reset_producer_caches()
    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete(name)


@pytest.fixture
def broker_down():
    """Point this process's producer at a port where no broker listens."""

    def down():
        celery_app.conf.broker_url = "redis://127.0.0.1:9/0"
        _reset_producer_caches()

    def up():
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL
        _reset_producer_caches()

    return down, up


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(queue, tmp_path):
    processes = []

    def start(*, beat: bool = False) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": queue,
            "WORK_SWEEP_INTERVAL_SECONDS": "1",
            "WORK_EVENT_REDISPATCH_AFTER_SECONDS": "2",
            "MEDIA_ROOT": settings.MEDIA_ROOT,
        }
        command = [str(CELERY), "-A", "config", "worker", "-Q", queue, "-c", "2",
                   "-n", f"{queue}@%h", "--loglevel=INFO", "--without-gossip",
                   "--without-mingle"]
        if beat:
            command += ["-B", "-s", str(tmp_path / "beat-schedule")]
        log = open(tmp_path / f"worker-{len(processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()


def _wait_until_processed(expected: int, tmp_path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with scopes_disabled():
            if WorkEvent.objects.filter(processed_at__isnull=False).count() == expected:
                return
        time.sleep(0.25)
    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))
    pytest.fail(f"events not processed within {timeout} s; worker log tail:\n{logs}")


def _handler_runs_per_event() -> dict[int, list[str]]:
    with scopes_disabled():
        runs: dict[int, list[str]] = {}
        for event_id, handler in HandlerRun.objects.values_list("event_id", "handler"):
            runs.setdefault(event_id, []).append(handler)
    return {event_id: sorted(names) for event_id, names in runs.items()}


def _batch(prefix: str, count: int, **fields) -> list[dict]:
    return [{"external_id": f"{prefix}{i}", "kind": "incident", **fields} for i in range(count)]


def test_api_batch_is_processed_once_by_a_real_worker(client, tenant_a, start_worker, tmp_path):
    agent = tenant_a.member(roles=["agent"], username="ana")
    tenant_a.team(name="Desk", members=[agent])
    api = ApiClient(client=client, token=make_token(tenant=tenant_a))
    start_worker()

    assert api.post("work-items", _batch("INC", 40, team="Desk")).json() == {
        "created": 40, "updated": 0, "unchanged": 0,
    }
    updates = [{"external_id": f"INC{i}", "state": "resolved", "resolved_by": "ana"}
               for i in range(10)]
    assert api.post("work-items", updates).json() == {"created": 0, "updated": 10, "unchanged": 0}

    _wait_until_processed(50, tmp_path)
    with scopes_disabled():
        events = list(WorkEvent.objects.order_by("id").values_list("id", "type", "dispatch_count"))
    assert [t for _id, t, _n in events] == ["created"] * 40 + ["resolved"] * 10
    assert {n for _id, _t, n in events} == {1}  # delivered by the after-commit dispatch
    expected = sorted(name for name, _handler in extensions.handlers())
    assert "work.record_processing" in expected
    runs = _handler_runs_per_event()
    assert runs == {event_id: expected for event_id, _t, _n in events}

    # A duplicate delivery of every event finds nothing left to run.
    with scopes_disabled():
        ran_at = sorted(HandlerRun.objects.values_list("id", "ran_at"))
    again = process_work_events.apply_async(
        kwargs={"organization_id": tenant_a.org.pk, "event_ids": [e[0] for e in events]},
        ignore_result=False,
    )
    assert again.get(timeout=30) == 0
    with scopes_disabled():
        assert sorted(HandlerRun.objects.values_list("id", "ran_at")) == ran_at


def test_sweeper_processes_events_written_while_the_broker_was_down(
    client, tenant_a, start_worker, broker_down, tmp_path, caplog
):
    api = ApiClient(client=client, token=make_token(tenant=tenant_a))
    down, up = broker_down
    down()
    assert api.post("work-items", _batch("CASE", 25, kind="case")).json() == {
        "created": 25, "updated": 0, "unchanged": 0,
    }
    assert api.post("work-items", {"external_id": "CASE3", "priority": 1}).json() == {
        "created": 0, "updated": 1, "unchanged": 0,
    }
    assert "the sweeper will re-dispatch them" in caplog.text
    with scopes_disabled():
        assert WorkEvent.objects.filter(processed_at__isnull=True).count() == 26
    up()

    start_worker(beat=True)
    _wait_until_processed(26, tmp_path)
    with scopes_disabled():
        dispatch_counts = set(WorkEvent.objects.values_list("dispatch_count", flat=True))
        event_ids = list(WorkEvent.objects.values_list("id", flat=True))
    assert min(dispatch_counts) >= 2  # every event came back through the sweeper
    expected = sorted(name for name, _handler in extensions.handlers())
    assert _handler_runs_per_event() == {event_id: expected for event_id in event_ids}


def _post_json(url: str, token: str, payload) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# The deadlock this guards against (fixed in 0e28acd): the worker's trigger pipeline locked
# agents' user rows FOR UPDATE for a whole chunk of events while API batches, in their own
# transactions, share-locked the same user rows through their foreign-key checks. It needs
# a worker chunk and batches in flight at the same moment on the same agents, not volume:
# the batches are fired only once the worker is ready and while it processes the pool.
# Run against the code before the fix (0e28acd^), this size still answered 500 to batches
# ("deadlock detected" while share-locking tenancy_user) on its first run; it used to be 30
# batches of 100 over a pool of 300 (3,300 events).
AGENTS = 10
POOL = 100
BATCHES = 12
NEW_PER_BATCH = 20
UPDATES_PER_BATCH = 20


def _wait_until_ready(tmp_path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(b" ready." in log.read_bytes() for log in tmp_path.glob("worker-*.log")):
            return
        time.sleep(0.1)
    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in tmp_path.glob("*.log"))
    pytest.fail(f"the worker did not start within {timeout} s; log tail:\n{logs}")


def test_concurrent_batches_and_a_worker_do_not_deadlock(
    live_server, tenant_a, start_worker, tmp_path
):
    """Concurrent batches of new and updated items arrive while a worker runs the trigger
    pipeline on the same agents: every batch is accepted and every event is processed
    exactly once."""
    coach = tenant_a.member(roles=["coach"], username="coach")
    agents = [tenant_a.member(roles=["agent"], username=f"agent{i}") for i in range(AGENTS)]
    tenant_a.team(name="Desk", manager=coach, members=agents)
    with tenant_a.scope():
        for name, suppress_days in (("Every change", 0), ("Once a week", 7)):
            save_opportunity(organization=tenant_a.org, data=OpportunityData(
                name=name, fires_on="any", suppress_days=suppress_days,
                condition={"field": "reassignment_count", "op": "gte", "value": 0},
            ))
    token = make_token(tenant=tenant_a)
    url = f"{live_server.url}/api/v1/work-items"
    start_worker()
    _wait_until_ready(tmp_path)
    # A shared pool of items every batch also updates, so batches and the worker meet on
    # the same items, agents and memberships. The worker is already up: it processes the
    # pool's events while the batches arrive.
    pool = [{"external_id": f"P{i}", "kind": "incident", "team": "Desk",
             "assigned_to": f"agent{i % AGENTS}"} for i in range(POOL)]
    assert _post_json(url, token, pool[:POOL // 2]) == 200
    assert _post_json(url, token, pool[POOL // 2:]) == 200

    def batch(k: int) -> list[dict]:
        new = [{"external_id": f"B{k}-{i}", "kind": "incident", "team": "Desk",
                "assigned_to": f"agent{(k + i) % AGENTS}"} for i in range(NEW_PER_BATCH)]
        updates = [{"external_id": f"P{(k * UPDATES_PER_BATCH + i) % POOL}",
                    "short_description": f"batch {k}",
                    "assigned_to": f"agent{(k + i + 1) % AGENTS}"}
                   for i in range(UPDATES_PER_BATCH)]
        return new + updates

    with ThreadPoolExecutor(max_workers=BATCHES) as pool_executor:
        statuses = list(pool_executor.map(lambda k: _post_json(url, token, batch(k)),
                                          range(BATCHES)))
    assert statuses == [200] * BATCHES

    with scopes_disabled():
        total = WorkEvent.objects.count()
    assert total == POOL + BATCHES * (NEW_PER_BATCH + UPDATES_PER_BATCH)
    # A correctness test, not a speed test: on a loaded two-core machine (the suite runs in
    # two processes) the events may take a while.
    _wait_until_processed(total, tmp_path, timeout=300)
    expected = sorted(name for name, _handler in extensions.handlers())
    with scopes_disabled():
        assert HandlerRun.objects.count() == total * len(expected)
        event_ids = list(WorkEvent.objects.values_list("id", flat=True))
        # Each event was tried once and never failed (no deadlock victim among them).
        assert set(WorkEvent.objects.values_list("attempts", "last_error")) == {(1, "")}
        assert OpportunityMatch.objects.count() == total * 2
        assert CoachingAssessment.objects.count() == total + AGENTS  # + one per agent a week
    assert _handler_runs_per_event() == {event_id: expected for event_id in event_ids}


def test_broker_outage_answers_fast_and_the_sweepers_finish_the_work_later(
    client, tenant_a, start_worker, broker_down, settings, tmp_path
):
    """Redis is unreachable (broker and cache): API writes and a CSV upload are recorded
    and answered at once, the import's page says it is queued; once Redis is back a worker
    with beat processes the events and runs the import."""
    admin = tenant_a.member(roles=["org_admin"])
    api = ApiClient(client=client, token=make_token(tenant=tenant_a))
    down, up = broker_down
    caches = settings.CACHES
    down()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}
    seconds = []
    for n in range(5):
        started = time.monotonic()
        response = api.post("work-items", _batch(f"OUT{n}-", 20, kind="case"))
        seconds.append(time.monotonic() - started)
        assert response.status_code == 200
    # The bound catches a request that waits on the broker (retries, timeouts) and leaves
    # room for a loaded CI machine (the CSV upload once took 1.95 s there).
    assert max(seconds) < 3, seconds

    client.force_login(admin)
    started = time.monotonic()
    response = client.post(tenant_a.url("work/import/"), {"file": SimpleUploadedFile(
        "items.csv", b"external_id,kind\nCSV1,incident\nCSV2,chat\n", content_type="text/csv",
    )})
    assert time.monotonic() - started < 3
    with scopes_disabled():
        work_import = WorkImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == tenant_a.url(f"work/import/{work_import.pk}/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Queued" in page.content.decode() and "Waiting for a worker" in page.content.decode()

    settings.CACHES = caches
    up()
    start_worker(beat=True)
    _wait_until_processed(100 + 2, tmp_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        work_import.refresh_from_db()
        if work_import.is_finished:
            break
        time.sleep(0.25)
    assert (work_import.status, work_import.created_count, work_import.dispatch_count > 1) == (
        "succeeded", 2, True
    )
    with scopes_disabled():
        assert sorted(WorkItem.objects.filter(external_id__startswith="CSV")
                      .values_list("external_id", flat=True)) == ["CSV1", "CSV2"]
    page = client.get(response["Location"]).content.decode()
    assert "Imported: created 2, updated 0, unchanged 0 of 2 rows" in page
