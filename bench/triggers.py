"""Benchmark: work events per second through the outbox handlers with 0, 10 and 50 active
coaching opportunities.

Usage (PostgreSQL and Redis as in production; the database must be migrated)::

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/triggers.py [--events N]

Creates a throw-away organization with agents, a team and work items, writes N update
events per run directly (as the ingest path would), and times
``work.services.process_work_events`` — the outbox path a worker runs, with every
registered handler including the trigger pipeline — for each opportunity count. About 2 %
of the events match an opportunity and open an assessment. Prints events/s per run and
the 50/0 ratio. Never fails for slowness. Deletes its organization at the end.
"""

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from coaching.models import CoachingAssessment  # noqa: E402
from opportunities.models import CoachingOpportunity  # noqa: E402
from opportunities.services import OpportunityData, save_opportunity  # noqa: E402
from tenancy.models import Organization, User  # noqa: E402
from tenancy.services import add_member, save_team  # noqa: E402
from work.models import WorkEvent, WorkItem  # noqa: E402
from work.services import process_work_events  # noqa: E402

CHUNK = 500


def opportunity_conditions(count: int) -> list[dict]:
    """Varied, realistic conditions; together they match about 2 % of the bench events."""
    shapes = [
        lambda i: {"all": [{"field": "reassignment_count", "op": "gte", "value": 40 + i},
                           {"field": "priority", "op": "in", "value": [1, 2]}]},
        lambda i: {"field": "attributes.region", "op": "eq", "value": f"r{i}"},
        lambda i: {"all": [{"field": "escalated", "op": "changed_to", "value": True},
                           {"field": "category", "op": "icontains", "value": f"cat{i}x"}]},
        lambda i: {"any": [{"field": "sentiment", "op": "lt", "value": -2},
                           {"field": "reopen_count", "op": "gt", "value": 100 + i}]},
        lambda i: {"all": [{"field": "team", "op": "changed_from", "value": f"Team {i}"},
                           {"not": {"field": "state", "op": "eq", "value": "new"}}]},
    ]
    if not count:
        return []
    return [{"field": "reassignment_count", "op": "increased"}] + [
        shapes[i % len(shapes)](i) for i in range(count - 1)
    ]


def setup(agents: int = 20):
    slug = f"bench-{uuid.uuid4().hex[:8]}"
    organization = Organization.objects.create(name="Bench", slug=slug)
    with scope(organization=organization):
        coach = User.objects.create(username=f"{slug}-coach")
        add_member(organization=organization, user=coach, roles=["coach"])
        people = []
        for i in range(agents):
            user = User.objects.create(username=f"{slug}-agent-{i}")
            add_member(organization=organization, user=user, roles=["agent"])
            people.append(user)
        team = save_team(organization=organization, name="Desk", manager=coach, members=people)
        items = WorkItem.objects.bulk_create([
            WorkItem(organization=organization, kind="incident", external_id=f"B{i}",
                     team=team, assigned_to=people[i % agents], priority=1 + i % 5,
                     category=f"cat{i % 7}", attributes={"region": "eu"})
            for i in range(2000)
        ])
    return organization, items


def write_events(organization, items, count: int, rng: random.Random) -> list[int]:
    now = timezone.now()
    events = []
    for n in range(count):
        item = items[rng.randrange(len(items))]
        # About 2 % are reassignments (the "increased" opportunity opens an assessment).
        if rng.random() < 0.02:
            changes = {"reassignment_count": [n, n + 1]}
        else:
            changes = {"short_description": ["", f"note {n}"]}
        events.append(WorkEvent(organization=organization, work_item=item, type="updated",
                                changes=changes, occurred_at=now, created_at=now,
                                dispatched_at=now))
    with scope(organization=organization):
        rows = WorkEvent.objects.bulk_create(events, batch_size=1000)
    return [row.pk for row in rows]


def set_opportunities(organization, count: int) -> None:
    with scope(organization=organization), transaction.atomic():
        CoachingAssessment.objects.filter(organization=organization).delete()
        CoachingOpportunity.objects.filter(organization=organization).delete()
        for index, condition in enumerate(opportunity_conditions(count)):
            save_opportunity(organization=organization, data=OpportunityData(
                name=f"Bench {index}", condition=condition, fires_on="any"))
        from opportunities.selectors import forget_active_opportunities

        forget_active_opportunities(organization.pk)


def run(organization, items, opportunities: int, events: int, rng) -> tuple[float, int]:
    set_opportunities(organization, opportunities)
    ids = write_events(organization, items, events, rng)
    started = time.perf_counter()
    with scope(organization=organization):
        for start in range(0, len(ids), CHUNK):
            process_work_events(organization=organization, event_ids=ids[start:start + CHUNK])
    elapsed = time.perf_counter() - started
    with scope(organization=organization):
        opened = CoachingAssessment.objects.filter(organization=organization).count()
    return events / elapsed, opened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000,
                        help="events per run (the issue asks for 100k; the default keeps a "
                             "run to about a minute)")
    args = parser.parse_args()
    from django.conf import settings
    from django.db import connection

    print(f"database: {connection.vendor} · cache: "
          f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]} · "
          f"{args.events:,} events per run")
    organization, items = setup()
    results = {}
    try:
        for count in (0, 10, 50):
            rate, opened = run(organization, items, count, args.events, random.Random(count))
            results[count] = rate
            print(f"{count:>3} active opportunities: {rate:9.0f} events/s "
                  f"({opened} assessments opened)")
        print(f"ratio 50/0: {results[50] / results[0]:.2f} (aim ≥ 0.5)")
    finally:
        with scopes_disabled():
            organization.delete()
            User.objects.filter(username__startswith=f"{organization.slug}-").delete()


if __name__ == "__main__":
    main()
