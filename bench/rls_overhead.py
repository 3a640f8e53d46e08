"""Row-level security's cost: the ingest, trigger and page benchmarks with and without it,
in one run.

    DATABASE_URL=postgres://coachdesk_owner@127.0.0.1:5432/coachdesk \\
        .venv/bin/python bench/rls_overhead.py [--items 20000] [--events 5000] [--rounds 3]

Connect as the tables' owner (not a superuser, which RLS never applies to; the owner may
switch it off for the "without" runs). The database must be migrated; the page runs use
the seeded demo's acme when there is one (``seed_demo``), otherwise they are skipped.

"With" is the product as shipped: forced RLS on every tenant table and the backend setting
the tenant before statements. "Without" disables RLS on every tenant table and removes the
backend's hook, i.e. the application's scopes alone. The modes alternate (with, without,
with, …) for ``--rounds`` rounds and each figure is the median of its mode, so a neighbour
on the machine weighs on both. RLS is re-enabled at the end whatever happens. Prints each
figure, the ratio with/without and the overhead; never fails for slowness (aim: ≤ 10 %).
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

import random  # noqa: E402

import ingest  # noqa: E402
import triggers  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from pagetime import measure_page  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from tenancy import rls  # noqa: E402
from tenancy.models import Organization, User  # noqa: E402

AIM = 0.10


def set_rls(enabled: bool) -> None:
    """Switch RLS off on every tenant table (and the backend's hook), or back on."""
    hook = connection._apply_row_level_security
    if enabled:
        if hook not in connection.execute_wrappers:
            connection.execute_wrappers.append(hook)
        rls.sync_policies()
        assert rls.tables_without_policy() == []
        return
    with connection.cursor() as cursor:
        for table in rls.tenant_tables():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY")
    if hook in connection.execute_wrappers:
        connection.execute_wrappers.remove(hook)


def ingest_rate(items: int) -> float:
    with rls.platform("bench set-up"):
        organization, teams, agents = ingest.setup_organization()
    try:
        with rls.tenant(organization), scope(organization=organization):
            seconds = ingest.run_service(organization, teams, agents, items)
        return items / seconds
    finally:
        with rls.platform("bench clean-up"):
            ingest.cleanup(organization, agents)


def trigger_rate(events: int, seed: int) -> float:
    with rls.platform("bench set-up"):
        organization, items = triggers.setup()
    try:
        with rls.tenant(organization):
            rate, _opened = triggers.run(organization, items, 10, events, random.Random(seed))
        return rate
    finally:
        with rls.platform("bench clean-up"), scopes_disabled():
            organization.delete()
            User.objects.filter(username__startswith=f"{organization.slug}-").delete()


PAGES = ["work/", "quality/leaderboard/", "coaching/monitor/", "skills/"]


def page_times(runs: int) -> dict[str, float] | None:
    organization = Organization.objects.filter(slug="acme").first()
    if organization is None:
        return None
    with rls.platform("bench set-up"), scopes_disabled():
        admin = User.objects.get(username="acme-admin")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    return {page: measure_page(client, f"/o/acme/{page}", runs)[0] for page in PAGES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--page-runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Row-level security is PostgreSQL's: set DATABASE_URL to a PostgreSQL owner.")
    facts = rls.connection_role_facts()
    if facts["superuser"] or facts["bypassrls"]:
        sys.exit(f"{facts['user']} ignores row-level security: connect as the tables' owner.")
    celery_app.conf.broker_url = "memory://"
    celery_app.conf.task_always_eager = False
    print(f"PostgreSQL as {facts['user']} · {args.items:,} items, {args.events:,} events, "
          f"{args.page_runs} page runs, {args.rounds} rounds · load "
          "{:.2f} {:.2f} {:.2f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    figures: dict[tuple[str, bool], list[float]] = {}
    try:
        for round_ in range(args.rounds):
            for enabled in (True, False):
                set_rls(enabled)
                figures.setdefault(("ingest items/s", enabled), []).append(
                    ingest_rate(args.items))
                figures.setdefault(("trigger events/s", enabled), []).append(
                    trigger_rate(args.events, round_))
                pages = page_times(args.page_runs)
                for page, ms in (pages or {}).items():
                    figures.setdefault((f"page {page} p50 ms", enabled), []).append(ms)
    finally:
        set_rls(True)
    print(f"{'figure':<34} {'with RLS':>10} {'without':>10} {'ratio':>7} {'overhead':>9}")
    for name in dict.fromkeys(name for name, _ in figures):
        with_rls = statistics.median(figures[(name, True)])
        without = statistics.median(figures[(name, False)])
        ratio = with_rls / without
        # For rates the overhead is the lost share; for times, the added share.
        overhead = (1 - ratio) if name.endswith("/s") else (ratio - 1)
        print(f"{name:<34} {with_rls:>10.1f} {without:>10.1f} {ratio:>7.3f} {overhead:>8.1%}"
              f"{'' if overhead <= AIM else '  (over the 10 % aim)'}")


if __name__ == "__main__":
    main()
