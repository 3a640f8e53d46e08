"""The whole outbox path with a real Celery worker process, PostgreSQL and Redis.

1. API batch in → events written → every handler ran once per event (the worker consumed
   the tasks enqueued after commit; a duplicate delivery changes nothing).
2. The broker is unreachable while items are written (the dispatch after commit fails and
   is only logged); a worker with beat then starts and the sweeper gets every event
   processed.

Each test runs its worker on a queue of its own, against this run's test database.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from config.celery import app as celery_app
from work import extensions
from work.models import HandlerRun, WorkEvent
from work.tasks import process_work_events

from .conftest import ApiClient, make_token

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                       reason="REDIS_URL is not set: these tests run a real Celery worker "
                              "against Redis (CI sets it)."),
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"],
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
    agent = tenant_a.member("agent", username="ana")
    tenant_a.team("Desk", members=[agent])
    api = ApiClient(client, make_token(tenant_a))
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
        kwargs={"organization_id": tenant_a.org.pk, "event_ids": [e[0] for e in events]}
    )
    assert again.get(timeout=30) == 0
    with scopes_disabled():
        assert sorted(HandlerRun.objects.values_list("id", "ran_at")) == ran_at


def test_sweeper_processes_events_written_while_the_broker_was_down(
    client, tenant_a, start_worker, broker_down, tmp_path, caplog
):
    api = ApiClient(client, make_token(tenant_a))
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
