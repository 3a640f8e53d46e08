"""Quality leaderboard benchmark: p95 and queries of the leaderboard page at 500 agents ×
200,000 evaluations' worth of rollups.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python \
        bench/autoqa_leaderboard.py

Creates a throw-away organization with ``--agents`` agents (default 500), a current
10-attribute scorecard (half of the attributes verified) and per-agent, per-day,
per-attribute :class:`quality.models.ScoreRollup` rows for ``--evaluations`` automatic
evaluations (default 200,000) spread over ``--days`` days (default 120), with about a tenth
as many audits; the rows are bulk-inserted directly (what the answer writer would have
accumulated). Then renders the leaderboard page (the whole request: middleware, view,
template) as an org admin for every agent (the table pages 100 agents at a time) and for a
team of 10, and prints p50/p95 per period, the query count, the ratio of p95 to the aim
(300 ms), the time spent in the database and the process's CPU time, with the load
average (the machine may be shared). Deletes the organization
at the end (``--keep`` keeps it; ``--reuse SLUG`` measures a kept one without building).
Never fails for being slow.
"""

import argparse
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from pagetime import measure_page  # noqa: E402

from quality.models import Attribute, AttributeAgreement, Scorecard, ScoreRollup  # noqa: E402
from tenancy.models import Membership, Organization, Team, TeamMember, User  # noqa: E402

AIM_MS = 300.0
ATTRIBUTES = 10


def build(organization, *, agents: int, evaluations: int, days: int, rng: random.Random):
    stamp = organization.slug
    users = User.objects.bulk_create([User(username=f"{stamp}-a{i}") for i in range(agents)])
    admin = User.objects.create(username=f"{stamp}-admin")
    Membership.objects.bulk_create(
        [Membership(organization=organization, user=u, is_agent=True) for u in users]
        + [Membership(organization=organization, user=admin, is_org_admin=True)])
    team = Team.objects.create(organization=organization, name="Ten agents")
    TeamMember.objects.bulk_create([TeamMember(organization=organization, team=team, user=u)
                                    for u in users[:10]])
    card = Scorecard.objects.create(organization=organization, key="bench", name="Bench card",
                                    is_default=True)
    keys = [f"attr-{i}" for i in range(ATTRIBUTES)]
    Attribute.objects.bulk_create([
        Attribute(organization=organization, scorecard=card, key=key, name=f"Attribute {i}",
                  position=i, weight=10 + i, auto={"rule": "agent_says", "phrases": ["x"]})
        for i, key in enumerate(keys)
    ])
    AttributeAgreement.objects.bulk_create([
        AttributeAgreement(organization=organization, scorecard_key="bench", attribute_key=key,
                           scorer="rule:1", pairs=40, agreement=0.9,
                           kappa=0.75 if i % 2 == 0 else 0.4, verified=i % 2 == 0)
        for i, key in enumerate(keys)
    ])

    today = timezone.localdate(timezone=organization.tzinfo)
    per_agent = evaluations / agents / days  # automatic evaluations per agent and day
    rows, made = [], 0

    def add(agent, day, kind, attribute, n, values, scorer):
        rows.append(ScoreRollup(
            organization=organization, agent=agent, day=day, kind=kind, scorecard_key="bench",
            attribute_key=attribute, scorer=scorer, n=n, total=sum(values),
            total_sq=sum(v * v for v in values), failures=sum(1 for v in values if v <= 0)))

    # Day by day, every agent within a day: the table's physical order is then the one the
    # answer writer leaves (rows are written as each day goes), which the dashboards'
    # day-range scans read.
    skills = {agent.pk: rng.uniform(0.55, 0.95) for agent in users}
    for offset in reversed(range(days)):
        day = today - timedelta(days=offset)
        for agent in users:
            skill = skills[agent.pk]
            n = int(per_agent) + (rng.random() < per_agent - int(per_agent))
            if not n:
                continue
            made += n
            for kind, count, scorer in (("auto", n, "rule:1"),
                                        ("manual", int(rng.random() < 0.1 * n), "")):
                if not count:
                    continue
                passes = [[rng.random() < skill for _ in range(count)] for _ in keys]
                for key, answers in zip(keys, passes, strict=True):
                    add(agent, day, kind, key, count, [float(a) for a in answers], scorer)
                totals = [100 * sum(p[i] * (10 + k) for k, p in enumerate(passes))
                          / sum(10 + k for k in range(ATTRIBUTES)) for i in range(count)]
                add(agent, day, kind, "", count, totals, scorer)
            if len(rows) >= 20_000:
                ScoreRollup.objects.bulk_create(rows, batch_size=5000)
                rows.clear()
    ScoreRollup.objects.bulk_create(rows, batch_size=5000)
    return admin, team, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--evaluations", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="Keep the organization (to measure again with --reuse).")
    parser.add_argument("--reuse", metavar="SLUG",
                        help="Measure an organization a --keep run built (no build).")
    args = parser.parse_args()
    rng = random.Random(14)
    stamp = args.reuse or f"bench-lb-{int(time.time())}"
    with scopes_disabled():
        organization, _ = Organization.objects.get_or_create(slug=stamp,
                                                             defaults={"name": stamp})
    try:
        started = time.perf_counter()
        with scope(organization=organization):
            if args.reuse:
                admin = User.objects.get(username=f"{stamp}-admin")
                team = Team.objects.get(organization=organization, name="Ten agents")
                made = sum(ScoreRollup.objects.filter(
                    organization=organization, kind="auto", attribute_key="")
                    .values_list("n", flat=True))
            else:
                admin, team, made = build(organization, agents=args.agents,
                                          evaluations=args.evaluations, days=args.days,
                                          rng=rng)
            rollups = ScoreRollup.objects.filter(organization=organization).count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{connection.vendor}: {args.agents} agents, {made:,} automatic evaluations over "
              f"{args.days} days, {rollups:,} rollup rows (built in "
              f"{time.perf_counter() - started:.0f} s)")
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        base = f"/o/{organization.slug}/quality/leaderboard/"
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(
            *os.getloadavg(), os.cpu_count()))
        print(f"{'page':<28} {'agents':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} "
              f"{'p95/aim':>8} {'db p50':>8} {'cpu p50':>8}")
        for label, query, shown in (
            ("every agent, 30 days", "", args.agents),
            ("every agent, 90 days", "?period=90", args.agents),
            ("every agent, 7 days", "?period=7", args.agents),
            ("every agent, 30 d, page 3", "?page=3", args.agents),
            ("team of 10, 30 days", f"?team={team.pk}", 10),
        ):
            p50, p95, queries, database, cpu = measure_page(client, base + query, args.runs)
            print(f"{label:<28} {shown:>6} {p50:>8.1f} {p95:>8.1f} {queries:>8} "
                  f"{p95 / AIM_MS:>8.2f} {database:>8.1f} {cpu:>8.1f}")
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"aim: the same number of queries on every line, p95 <= {AIM_MS:.0f} ms "
              "(p95/aim <= 1); db: time in the database, cpu: this process's CPU time")
    finally:
        if args.keep or args.reuse:
            print(f"kept: measure again with --reuse {organization.slug}")
        else:
            remove(organization)


def remove(organization) -> None:
    with scopes_disabled():
        users = list(Membership.objects.filter(organization=organization)
                     .values_list("user_id", flat=True))
        for model in (ScoreRollup, AttributeAgreement, TeamMember, Team):
            model.objects.filter(organization=organization).delete()
        Attribute.objects.filter(organization=organization).delete()
        Scorecard.objects.filter(organization=organization).delete()
        organization.delete()
        User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
