"""Ingest benchmark: work items per second through the bulk service vs raw ``bulk_create``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python bench/ingest.py

Creates a throw-away organization, inserts ``--items`` rows (default 100,000) in batches of
1,000 with a plain ``WorkItem.objects.bulk_create`` of fully resolved rows, then the same
number through :func:`work.services.upsert_work_items` (validation, reference lookup,
change detection, one ``WorkEvent`` per item, the outbox dispatch), prints both rates and
their ratio, and deletes the organization. Both paths get one untimed batch of ten first
(the first dispatch of a process loads Celery's task modules: seconds, once). The raw run
goes first, so the service path pays for the larger table. Tasks go to an in-memory
broker unless ``--broker`` is given (then to ``REDIS_URL``, where a worker may process
them). Never fails for being slow.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")  # no per-query logging in the measurement

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from tenancy import rls  # noqa: E402
from tenancy.models import Membership, Organization, Team, User  # noqa: E402
from work.models import WorkItem  # noqa: E402
from work.services import MAX_BATCH, upsert_work_items  # noqa: E402

KINDS = ["incident", "request", "case", "call", "chat", "email"]
STATES = ["new", "in_progress", "resolved", "closed"]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def item(n: int, prefix: str, teams: list[str], agents: list[str]) -> dict:
    return {
        "external_id": f"{prefix}{n:08d}",
        "kind": KINDS[n % len(KINDS)],
        "number": f"INC{n:08d}",
        "short_description": f"User cannot reach the VPN gateway (ticket {n})",
        "description": "Reported by phone. Tried reconnecting, rebooting and a new profile.",
        "state": STATES[n % len(STATES)],
        "priority": n % 5 + 1,
        "category": "Network",
        "subcategory": "VPN",
        "team": teams[n % len(teams)],
        "assigned_to": agents[n % len(agents)],
        "opened_at": T0 + timedelta(minutes=n),
        "escalated": n % 13 == 0,
        "sla_breached": n % 11 == 0,
        "handle_time_seconds": 60 + n % 900,
        "channel": "phone",
    }


def setup_organization() -> tuple[Organization, list[Team], list[User]]:
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    with scopes_disabled(), transaction.atomic():
        organization = Organization.objects.create(name=f"Bench {stamp}", slug=f"bench-{stamp}")
        agents = [User.objects.create(username=f"bench-{stamp}-agent-{i}") for i in range(20)]
        Membership.objects.bulk_create([
            Membership(organization=organization, user=u, is_agent=True) for u in agents
        ])
        teams = [Team.objects.create(organization=organization, name=f"Team {i}")
                 for i in range(4)]
    return organization, teams, agents


def run_raw(organization, teams, agents, total: int) -> float:
    team_by_name = {t.name: t for t in teams}
    user_by_name = {u.username: u for u in agents}
    names = [t.name for t in teams]
    usernames = [u.username for u in agents]
    started = time.perf_counter()
    for start in range(0, total, MAX_BATCH):
        rows = []
        for n in range(start, min(start + MAX_BATCH, total)):
            data = item(n, "RAW", names, usernames)
            data["team"] = team_by_name[data["team"]]
            data["assigned_to"] = user_by_name[data["assigned_to"]]
            rows.append(WorkItem(organization=organization, **data))
        with transaction.atomic():
            WorkItem.objects.bulk_create(rows, batch_size=MAX_BATCH)
    return time.perf_counter() - started


def run_service(organization, teams, agents, total: int) -> float:
    names = [t.name for t in teams]
    usernames = [u.username for u in agents]
    started = time.perf_counter()
    for start in range(0, total, MAX_BATCH):
        batch = [item(n, "SVC", names, usernames)
                 for n in range(start, min(start + MAX_BATCH, total))]
        upsert_work_items(organization=organization, items=batch)
    return time.perf_counter() - started


def warm_up(organization, teams, agents) -> None:
    """One small batch down each path first, untimed: the first outbox dispatch of a
    process loads Celery's task modules (and runs Django's checks), seconds once per
    process that are no part of the rate."""
    names, usernames = [t.name for t in teams], [u.username for u in agents]
    upsert_work_items(organization=organization,
                      items=[item(n, "WARM", names, usernames) for n in range(10)])
    with transaction.atomic():
        WorkItem.objects.bulk_create([
            WorkItem(organization=organization, **{
                **item(n, "WARMRAW", names, usernames), "team": teams[n % len(teams)],
                "assigned_to": agents[n % len(agents)]})
            for n in range(10)])


def cleanup(organization, agents) -> None:
    """Drop the bench rows with plain DELETEs (the ORM's cascade would take minutes)."""
    with scopes_disabled(), transaction.atomic(), connection.cursor() as cursor:
        for table in ("work_handlerrun", "work_workevent", "work_requestedskill", "work_workitem"):
            cursor.execute(f"DELETE FROM {table} WHERE organization_id = %s",  # noqa: S608
                           [organization.pk])
        organization.delete()
        User.objects.filter(pk__in=[u.pk for u in agents]).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--broker", action="store_true",
                        help="Publish the outbox tasks to REDIS_URL instead of memory.")
    parser.add_argument("--keep", action="store_true", help="Keep the bench organization.")
    args = parser.parse_args()
    if not args.broker:
        celery_app.conf.broker_url = "memory://"
        celery_app.conf.task_always_eager = False
    engine = connection.vendor
    if engine != "postgresql":
        print(f"note: running on {engine}; the reference figures are for PostgreSQL.")
    with rls.platform("bench set-up"):
        organization, teams, agents = setup_organization()
    try:
        with rls.tenant(organization), scope(organization=organization):
            warm_up(organization, teams, agents)
            raw = run_raw(organization, teams, agents, args.items)
            service = run_service(organization, teams, agents, args.items)
    finally:
        if not args.keep:
            with rls.platform("bench clean-up"):
                cleanup(organization, agents)
    raw_rate, service_rate = args.items / raw, args.items / service
    print(f"database:       {engine} ({settings.DATABASES['default'].get('NAME')})")
    print(f"items:          {args.items:,} in batches of {MAX_BATCH:,}")
    print(f"raw bulk_create: {raw_rate:10,.0f} items/s  ({raw:.1f} s)")
    print(f"service path:    {service_rate:10,.0f} items/s  ({service:.1f} s, with events)")
    print(f"ratio:           {service_rate / raw_rate:10.0%} of raw (aim: at least 50%)")


if __name__ == "__main__":
    main()
