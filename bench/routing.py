"""Routing benchmark: decisions per second as the pool grows *and* as work history grows.

    DATABASE_URL=postgres://coachdesk_owner@127.0.0.1/coachdesk .venv/bin/python bench/routing.py

Creates a throw-away organization with ``--agents`` agents (default 500), ``--skills``
skills (default 50; each agent holds 10 at random levels) and ``--open-items`` open items
(default 10,000, mixed kinds) assigned across the agents. Then it loads work history the
way a contact center accumulates it — items created, assigned, reassigned, resolved and
closed, five events each, dated over the past year — first up to ``--small-events``
(default 50,000) events, then up to ``--events`` (default 500,000). History is loaded
with set-based inserts (``INSERT … SELECT FROM unnest``; ``COPY`` is refused under
row-level security), not through the ingest service, and routing's
per-agent state is rebuilt from it (:func:`routing.services.rebuild_routing_state`, what
the migration's backfill does), then ``VACUUM ANALYZE`` (autovacuum may be off).

At each history size it ranks candidates for an open incident requiring three skills
(:func:`routing.selectors.rank_candidates`, what the API, the auto-assign handler and the
work-item page's Suggested agents panel run) with pools of 10, 100 and ``--agents``
agents, and prints decisions per second (the best of three rounds: the machine may be
shared), milliseconds and queries per decision, the database's own planning and execution time
for the slowest statement of a decision, and the ratios of the large history to the
small one. (On PostgreSQL a decision is one call of the ranking function: its execution
time includes the function's query, whose plan the connection keeps, so "plan ms" is
the call's own planning.) Deletes the organization at the end.
Never fails for being slow.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from routing.selectors import rank_candidates  # noqa: E402
from skills.models import Skill, UserSkill  # noqa: E402
from skills.models import WorkItemSkill as RequiredSkill  # noqa: E402
from skills.services import ensure_level_scale  # noqa: E402
from tenancy.models import Membership, Organization, Team, TeamMember, User  # noqa: E402
from work.models import WorkEvent, WorkItem  # noqa: E402

try:  # row-level security (tenancy/rls.py); the clean-up reads across tenants
    from tenancy.rls import platform
except ImportError:  # pragma: no cover - before row-level security
    from contextlib import nullcontext as platform

try:
    from routing.services import rebuild_routing_state
except ImportError:  # the history-scanning routing had no state to rebuild
    rebuild_routing_state = None

KINDS = ("incident", "request", "case", "chat")
OPEN_STATES = ("new", "in_progress", "on_hold")
EVENTS_PER_ITEM = 5


def build(organization, *, agents: int, skills: int, open_items: int, rng: random.Random):
    now = timezone.now()
    stamp = organization.slug
    users = User.objects.bulk_create([User(username=f"{stamp}-a{i}") for i in range(agents)])
    Membership.objects.bulk_create([Membership(organization=organization, user=u, is_agent=True)
                                    for u in users])
    levels = ensure_level_scale(organization=organization)
    catalogue = Skill.objects.bulk_create([Skill(organization=organization, name=f"Skill {i}")
                                           for i in range(skills)])
    UserSkill.objects.bulk_create([
        UserSkill(organization=organization, user=u, skill=s, level=rng.choice(levels),
                  source="manual", acquired_at=now, changed_at=now)
        for u in users for s in rng.sample(catalogue, min(10, skills))
    ], batch_size=5000)
    items = WorkItem.objects.bulk_create([
        WorkItem(organization=organization, external_id=f"OPEN{i}", kind=rng.choice(KINDS),
                 state=rng.choice(OPEN_STATES), assigned_to=rng.choice(users),
                 opened_at=now - timedelta(hours=rng.randint(1, 72)))
        for i in range(open_items)
    ], batch_size=5000)
    # Each open item's creation (with its assignment) is an event too.
    _load_events(organization, [
        (item.pk, "created", {"kind": [None, item.kind], "state": [None, item.state],
                              "assigned_to": [None, item.assigned_to.username]},
         item.opened_at)
        for item in items
    ])
    return users, levels, catalogue


def _load_events(organization, rows) -> None:
    """Write processed events in bulk: one ``INSERT … SELECT FROM unnest(arrays)`` per
    20,000 events on PostgreSQL (``COPY`` is refused under row-level security),
    ``bulk_create`` elsewhere."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        WorkEvent.objects.bulk_create([
            WorkEvent(organization=organization, work_item_id=item_id, type=type_,
                      changes=changes, occurred_at=when, created_at=now, dispatched_at=now,
                      processed_at=now, attempts=1)
            for item_id, type_, changes, when in rows
        ], batch_size=5000)
        return
    table = WorkEvent._meta.db_table
    sql = (f"INSERT INTO {table} (organization_id, work_item_id, type, changes, occurred_at, "
           "created_at, dispatched_at, dispatch_count, processed_at, attempts, last_error) "
           "SELECT %s, item, type, changes, occurred, %s, %s, 1, %s, 1, '' "
           "FROM unnest(%s::bigint[], %s::text[], %s::jsonb[], %s::timestamptz[]) "
           "AS t(item, type, changes, occurred)")
    with transaction.atomic(), connection.cursor() as cursor:
        for offset in range(0, len(rows), 20_000):
            chunk = rows[offset:offset + 20_000]
            cursor.execute(sql, [organization.pk, now, now, now,
                                 [r[0] for r in chunk], [r[1] for r in chunk],
                                 [json.dumps(r[2]) for r in chunk], [r[3] for r in chunk]])


def load_history(organization, users, *, start: int, events: int, rng: random.Random) -> None:
    """Add done items with five events each (created with an assignee, reassigned,
    updated, resolved, closed) until the organization holds ``events`` history events."""
    now = timezone.now()
    count = max(0, (events - start) // EVENTS_PER_ITEM)
    batch = 20_000
    for offset in range(0, count, batch):
        plans = []
        for i in range(offset, min(count, offset + batch)):
            first, second = rng.sample(users, 2)
            opened = now - timedelta(days=365) + timedelta(seconds=rng.randint(0, 364 * 86400))
            plans.append((f"H{start + i}", rng.choice(KINDS), first, second, opened))
        items = WorkItem.objects.bulk_create([
            WorkItem(organization=organization, external_id=external_id, kind=kind,
                     state="closed", assigned_to=second, resolved_by=second, opened_at=opened,
                     resolved_at=opened + timedelta(hours=5),
                     closed_at=opened + timedelta(hours=30), reassignment_count=1)
            for external_id, kind, first, second, opened in plans
        ], batch_size=5000)
        rows = []
        for item, (_external_id, kind, first, second, opened) in zip(items, plans, strict=True):
            rows += [
                (item.pk, "created", {"kind": [None, kind], "state": [None, "new"],
                                      "assigned_to": [None, first.username]}, opened),
                (item.pk, "updated", {"assigned_to": [first.username, second.username],
                                      "reassignment_count": [0, 1]},
                 opened + timedelta(hours=1)),
                (item.pk, "updated", {"state": ["new", "in_progress"],
                                      "priority": [None, rng.randint(1, 5)]},
                 opened + timedelta(hours=2)),
                (item.pk, "resolved", {"state": ["in_progress", "resolved"],
                                       "resolved_by": [None, second.username]},
                 opened + timedelta(hours=5)),
                (item.pk, "closed", {"state": ["resolved", "closed"]},
                 opened + timedelta(hours=30)),
            ]
        _load_events(organization, rows)


def refresh(organization) -> None:
    if rebuild_routing_state is not None:
        rebuild_routing_state(organization=organization)
    if connection.vendor == "postgresql":
        # Autovacuum may be off: clear dead rows (earlier runs, the rebuild) and refresh
        # the statistics of what routing reads, as a maintained database would have them.
        from routing.models import AgentOpenItems, AgentRoutingState

        with connection.cursor() as cursor:
            for model in (WorkEvent, WorkItem, UserSkill, TeamMember, Membership, User,
                          RequiredSkill, AgentOpenItems, AgentRoutingState):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _statement_ms(sql: str) -> tuple[float, float]:
    """Planning and execution milliseconds of one statement as the database reports them
    (medians of five ``EXPLAIN ANALYZE`` runs): the part of a decision that load on the
    client side does not inflate."""
    planning, execution = [], []
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            planning.append(plan[0]["Planning Time"])
            execution.append(plan[0]["Execution Time"])
    return sorted(planning)[2], sorted(execution)[2]


def measure(organization, items: dict[int, WorkItem], *, decisions: int, seconds: float,
            rounds: int) -> dict[int, tuple[float, int, tuple[float, float] | None]]:
    """Per pool size: decisions per second (the best of ``rounds`` rounds, as the machine
    is shared), queries per decision and the database's milliseconds for the slowest one."""
    results = {}
    for size, item in items.items():
        captures = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as ctx:
                rank_candidates(organization=organization, item=item)
            captures.append(ctx.captured_queries)
        if os.environ.get("BENCH_SHOW_QUERIES"):
            for q in ctx.captured_queries:
                print(f"    {q['time']}s {q['sql'][:300]}")
        # The statement that takes longest over five decisions (one alone is noisy).
        totals = [sum(float(c[i]["time"]) for c in captures)
                  for i in range(len(ctx.captured_queries))]
        slowest = ctx.captured_queries[totals.index(max(totals))]
        if os.environ.get("BENCH_EXPLAIN") and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN ANALYZE {slowest['sql']}")
                print("\n".join(row[0] for row in cursor.fetchall()))
        statement_ms = (_statement_ms(slowest["sql"]) if connection.vendor == "postgresql"
                        else None)
        best = 0.0
        for _ in range(rounds):
            done, started = 0, time.perf_counter()
            while done < decisions and (done < 5 or time.perf_counter() - started < seconds):
                rank_candidates(organization=organization, item=item)
                done += 1
            best = max(best, done / (time.perf_counter() - started))
        results[size] = (best, len(ctx.captured_queries), statement_ms)
    return results


def print_results(label: str, results: dict) -> None:
    for size, (rate, queries, statement_ms) in results.items():
        db = (f"{statement_ms[0]:>8.2f} {statement_ms[1]:>8.2f}" if statement_ms is not None
              else "")
        print(f"{label:>10} {size:>6} {rate:>12.1f} {1000 / rate:>12.2f} {queries:>8} {db}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--open-items", type=int, default=10_000)
    parser.add_argument("--small-events", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--decisions", type=int, default=1000,
                        help="at most this many decisions per measurement")
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="stop a round after this long (at least 5 decisions)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per measurement; the best counts (a shared machine)")
    args = parser.parse_args()
    rng = random.Random(7)
    stamp = f"bench-routing-{int(time.time())}"
    with scopes_disabled():
        organization = Organization.objects.create(name=stamp, slug=stamp)
    try:
        with scope(organization=organization):
            started = time.perf_counter()
            users, levels, catalogue = build(organization, agents=args.agents,
                                             skills=args.skills, open_items=args.open_items,
                                             rng=rng)
            items = {}
            for size in sorted({min(s, args.agents) for s in (10, 100, args.agents)}):
                team = Team.objects.create(organization=organization, name=f"Pool {size}")
                TeamMember.objects.bulk_create([TeamMember(organization=organization,
                                                           team=team, user=u)
                                                for u in users[:size]])
                item = WorkItem.objects.create(organization=organization, kind="incident",
                                               external_id=f"ROUTE{size}", team=team)
                RequiredSkill.objects.bulk_create([
                    RequiredSkill(organization=organization, work_item=item, skill=s,
                                  minimum_level=levels[1])
                    for s in rng.sample(catalogue, 3)
                ])
                items[size] = item
            base = args.open_items
            load_history(organization, users, start=base, events=args.small_events, rng=rng)
            refresh(organization)
            small_total = WorkEvent.objects.filter(organization=organization).count()
            print(f"{connection.vendor}: {args.agents} agents, {args.skills} skills, "
                  f"{args.open_items:,} open items; loaded in "
                  f"{time.perf_counter() - started:.0f} s")
            print(f"{'events':>10} {'pool':>6} {'decisions/s':>12} {'ms/decision':>12} "
                  f"{'queries':>8} {'plan ms':>8} {'exec ms':>8}")
            small = measure(organization, items, decisions=args.decisions,
                            seconds=args.seconds, rounds=args.rounds)
            print_results(f"{small_total:,}", small)
            started = time.perf_counter()
            load_history(organization, users, start=small_total, events=args.events, rng=rng)
            refresh(organization)
            large_total = WorkEvent.objects.filter(organization=organization).count()
            print(f"  (history grown to {large_total:,} events in "
                  f"{time.perf_counter() - started:.0f} s)")
            large = measure(organization, items, decisions=args.decisions,
                            seconds=args.seconds, rounds=args.rounds)
            print_results(f"{large_total:,}", large)
            print(f"ratio {large_total:,} / {small_total:,} events (decisions/s, and the "
                  "slowest statement's execution time, small / large):")
            for size in items:
                db = (f" {small[size][2][1] / large[size][2][1]:>32.2f}"
                      if small[size][2] and large[size][2] else "")
                print(f"{'':>10} {size:>6} {large[size][0] / small[size][0]:>12.2f}{db}")
    finally:
        with scopes_disabled(), platform("bench: delete the throw-away organization"):
            users = list(Membership.objects.filter(organization=organization)
                         .values_list("user_id", flat=True))
            with connection.cursor() as cursor:
                for model in (WorkEvent, RequiredSkill, WorkItem):
                    cursor.execute(f"DELETE FROM {model._meta.db_table} "
                                   "WHERE organization_id = %s", [organization.pk])
            for model in (TeamMember, UserSkill, Team, Skill):
                model.objects.filter(organization=organization).delete()
            organization.delete()
            User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
