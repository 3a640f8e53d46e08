"""Routing benchmark: decisions per second and queries per decision as the pool grows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python bench/routing.py

Creates a throw-away organization with ``--agents`` agents (default 500) in one team,
``--skills`` skills (default 50; each agent holds 10 at random levels) and ``--items``
open items (default 10,000) assigned across the agents, then ranks candidates for items
requiring three skills (:func:`routing.selectors.rank_candidates`, what the API and the
auto-assign handler run) at several pool sizes, printing decisions per second and queries
per decision. Deletes the organization at the end. Never fails for being slow.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402

from routing.selectors import rank_candidates  # noqa: E402
from skills.models import Skill, UserSkill  # noqa: E402
from skills.models import WorkItemSkill as RequiredSkill  # noqa: E402
from skills.services import ensure_level_scale  # noqa: E402
from tenancy.models import Membership, Organization, Team, TeamMember, User  # noqa: E402
from work.models import WorkItem  # noqa: E402


def build(organization, *, agents: int, skills: int, items: int, rng: random.Random):
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
    WorkItem.objects.bulk_create([
        WorkItem(organization=organization, external_id=f"OPEN{i}", kind="incident",
                 state="in_progress", assigned_to=rng.choice(users))
        for i in range(items)
    ], batch_size=5000)
    return users, levels, catalogue


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    stamp = f"bench-routing-{int(time.time())}"
    with scopes_disabled():
        organization = Organization.objects.create(name=stamp, slug=stamp)
    try:
        with scope(organization=organization):
            users, levels, catalogue = build(organization, agents=args.agents,
                                             skills=args.skills, items=args.items, rng=rng)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # fresh statistics after the bulk load
            print(f"{connection.vendor}: {args.agents} agents, {args.skills} skills, "
                  f"{args.items:,} open items")
            print(f"{'pool':>6} {'decisions/s':>12} {'ms/decision':>12} {'queries':>8}")
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
                with CaptureQueriesContext(connection) as ctx:
                    rank_candidates(organization=organization, item=item)
                if os.environ.get("BENCH_SHOW_QUERIES"):
                    for q in ctx.captured_queries:
                        print(f"    {q['time']}s {q['sql'][:150]}")
                started = time.perf_counter()
                for _ in range(args.decisions):
                    rank_candidates(organization=organization, item=item)
                elapsed = time.perf_counter() - started
                print(f"{size:>6} {args.decisions / elapsed:>12.1f} "
                      f"{1000 * elapsed / args.decisions:>12.2f} {len(ctx.captured_queries):>8}")
    finally:
        with scopes_disabled():
            for model in (TeamMember, RequiredSkill, UserSkill, WorkItem, Team, Skill):
                model.objects.filter(organization=organization).delete()
            users = list(Membership.objects.filter(organization=organization)
                         .values_list("user_id", flat=True))
            organization.delete()
            User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
