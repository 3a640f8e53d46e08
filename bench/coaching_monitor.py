"""Coaching monitor benchmark: p95 and queries of the monitor page, and the time of the
coaching-effect computation for one team of 50 agents, at 500 agents, 2,000 coaching
assignments and 200,000 evaluations' worth of rollups.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python \
        bench/coaching_monitor.py

Builds a throw-away organization: ``--agents`` agents (default 500) in teams of 50, a
current 10-attribute scorecard (half of the attributes verified), per-agent, per-day rollup
rows for ``--evaluations`` automatic evaluations (default 200,000) over ``--days`` days
(default 60) with about a tenth as many audits — bulk-inserted day by day, as the answer
writer leaves them (the approach of bench/autoqa_leaderboard.py) — and ``--assignments``
coaching assignments (default 2,000) with one to three coached attributes, assigned over
the same days. Then renders the monitor (the whole request) as an org admin — default
filters, Compare on, page 3, the follow-up date filter, one team — and prints p50/p95, the
query count and p95 against the aim (300 ms); and times the coaching effect of every
assignment of one 50-agent team in the last 30 days, pooled for the team, against its aim
(200 ms). Deletes the organization at the end (``--keep`` keeps it). Never fails for being
slow.
"""

import argparse
import os
import random
import statistics
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

from coaching import did  # noqa: E402
from coaching.models import AssignmentArea, CoachingAssignment  # noqa: E402
from coaching.selectors_monitor import Coaching, effects_for, scoring_of  # noqa: E402
from quality.models import Attribute, AttributeAgreement, Scorecard, ScoreRollup  # noqa: E402
from tenancy.models import Membership, Organization, Team, TeamMember, User  # noqa: E402

PAGE_AIM_MS = 300.0
EFFECT_AIM_MS = 200.0
ATTRIBUTES = 10
TEAM_SIZE = 50


def build(organization, *, agents: int, evaluations: int, days: int, assignments: int,
          rng: random.Random):
    stamp = organization.slug
    users = User.objects.bulk_create([User(username=f"{stamp}-a{i}") for i in range(agents)])
    admin = User.objects.create(username=f"{stamp}-admin")
    Membership.objects.bulk_create(
        [Membership(organization=organization, user=u, is_agent=True) for u in users]
        + [Membership(organization=organization, user=admin, is_org_admin=True)])
    teams = []
    for start in range(0, agents, TEAM_SIZE):
        team = Team.objects.create(organization=organization, name=f"Team {start // TEAM_SIZE}")
        TeamMember.objects.bulk_create([
            TeamMember(organization=organization, team=team, user=u)
            for u in users[start:start + TEAM_SIZE]])
        teams.append(team)
    card = Scorecard.objects.create(organization=organization, key="bench", name="Bench card",
                                    is_default=True)
    keys = [f"attr-{i}" for i in range(ATTRIBUTES)]
    Attribute.objects.bulk_create([
        Attribute(organization=organization, scorecard=card, key=key, name=f"Attribute {i}",
                  position=i, weight=10 + i, auto={"rule": "agent_says", "phrases": ["x"]})
        for i, key in enumerate(keys)])
    AttributeAgreement.objects.bulk_create([
        AttributeAgreement(organization=organization, scorecard_key="bench", attribute_key=key,
                           scorer="rule:1", pairs=40, agreement=0.9,
                           kappa=0.75 if i % 2 == 0 else 0.4, verified=i % 2 == 0)
        for i, key in enumerate(keys)])

    today = timezone.localdate(timezone=organization.tzinfo)
    per_agent = evaluations / agents / days
    rows, made = [], 0

    def add(agent, day, kind, attribute, n, values, scorer):
        rows.append(ScoreRollup(
            organization=organization, agent=agent, day=day, kind=kind, scorecard_key="bench",
            attribute_key=attribute, scorer=scorer, n=n, total=sum(values),
            total_sq=sum(v * v for v in values), failures=sum(1 for v in values if v <= 0)))

    skills = {agent.pk: rng.uniform(0.55, 0.95) for agent in users}
    for offset in reversed(range(days)):
        day = today - timedelta(days=offset)
        for agent in users:
            n = int(per_agent) + (rng.random() < per_agent - int(per_agent))
            if not n:
                continue
            made += n
            for kind, count, scorer in (("auto", n, "rule:1"),
                                        ("manual", int(rng.random() < 0.1 * n), "")):
                if not count:
                    continue
                passes = [[rng.random() < skills[agent.pk] for _ in range(count)] for _ in keys]
                for key, answers in zip(keys, passes, strict=True):
                    add(agent, day, kind, key, count, [float(a) for a in answers], scorer)
                totals = [100 * sum(p[i] * (10 + k) for k, p in enumerate(passes))
                          / sum(10 + k for k in range(ATTRIBUTES)) for i in range(count)]
                add(agent, day, kind, "", count, totals, scorer)
            if len(rows) >= 20_000:
                ScoreRollup.objects.bulk_create(rows, batch_size=5000)
                rows.clear()
    ScoreRollup.objects.bulk_create(rows, batch_size=5000)

    made_assignments = CoachingAssignment.objects.bulk_create([
        CoachingAssignment(
            organization=organization, name=f"Coaching {i}", agent=rng.choice(users),
            assigner=admin, assigned_date=(assigned := today - timedelta(
                days=rng.randrange(days))),
            follow_up_date=assigned + timedelta(days=rng.randrange(7, 21)))
        for i in range(assignments)])
    AssignmentArea.objects.bulk_create([
        AssignmentArea(organization=organization, assignment=a, attribute_key=key,
                       attribute_name=f"Attribute {keys.index(key)}", position=p)
        for a in made_assignments
        for p, key in enumerate(rng.sample(keys, rng.randint(1, 3)))])
    return admin, teams, made


def team_effect(organization, team, today, *, only_one: bool = False
                ) -> tuple[float, int, did.Effect]:
    """Every assignment of the team's agents in the last 30 days, per coached attribute,
    and the team's pooled effect (``only_one``: the newest one only): (ms, coachings,
    effect)."""
    started = time.perf_counter()
    members = TeamMember.objects.filter(team=team).values("user_id")
    coachings = [
        Coaching(("assignment", a.pk, area.attribute_key), a.agent_id, a.assigned_date,
                 (area.attribute_key,))
        for a in CoachingAssignment.objects.filter(
            organization=organization, agent_id__in=members,
            assigned_date__gte=today - timedelta(days=30)).prefetch_related("areas")
        for area in a.areas.all()]
    if only_one:
        coachings = sorted(coachings, key=lambda c: c.start)[-1:]
    details = effects_for(organization, scoring_of(organization), coachings, today)
    pooled = did.pool([d.effect for d in details.values()])
    return 1000 * (time.perf_counter() - started), len(coachings), pooled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--evaluations", type=int, default=200_000)
    parser.add_argument("--assignments", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="Keep the organization (to measure again with --reuse).")
    parser.add_argument("--reuse", metavar="SLUG",
                        help="Measure an organization a --keep run built (no build).")
    args = parser.parse_args()
    rng = random.Random(17)
    stamp = args.reuse or f"bench-cm-{int(time.time())}"
    with scopes_disabled():
        organization, _ = Organization.objects.get_or_create(slug=stamp,
                                                             defaults={"name": stamp})
    try:
        started = time.perf_counter()
        with scope(organization=organization):
            if args.reuse:
                admin = User.objects.get(username=f"{stamp}-admin")
                teams = list(Team.objects.filter(organization=organization).order_by("pk"))
                made = sum(ScoreRollup.objects.filter(
                    organization=organization, kind="auto", attribute_key="")
                    .values_list("n", flat=True))
            else:
                admin, teams, made = build(organization, agents=args.agents,
                                           evaluations=args.evaluations, days=args.days,
                                           assignments=args.assignments, rng=rng)
            rollups = ScoreRollup.objects.filter(organization=organization).count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{connection.vendor}: {args.agents} agents, {args.assignments:,} assignments, "
              f"{made:,} automatic evaluations over {args.days} days, {rollups:,} rollup rows "
              f"(built in {time.perf_counter() - started:.0f} s)")
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(
            *os.getloadavg(), os.cpu_count()))
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        base = f"/o/{organization.slug}/coaching/monitor/"
        today = timezone.localdate(timezone=organization.tzinfo)
        print(f"{'monitor page':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'p95/aim':>8}")
        for label, query in (
            ("default (assigned, last 7 days)", ""),
            ("Compare on", "?compare=on"),
            ("Compare on, page 3", "?compare=on&page=3"),
            ("follow-up date, next 14 days",
             f"?date_field=follow_up&date_from={today}&date_to={today + timedelta(days=14)}"),
            ("one team, last 30 days",
             f"?team={teams[0].pk}&date_from={today - timedelta(days=29)}&date_to={today}"),
        ):
            p50, p95, queries, _database, _cpu = measure_page(client, base + query,
                                                              args.runs)
            print(f"{label:<34} {p50:>8.1f} {p95:>8.1f} {queries:>8} {p95 / PAGE_AIM_MS:>8.2f}")
        with scope(organization=organization):
            timings = []
            for _ in range(max(5, args.runs // 2)):
                ms, coachings, pooled = team_effect(organization, teams[0], today)
                timings.append(ms)
            single = []
            for _ in range(max(5, args.runs // 2)):
                ms, _, one = team_effect(organization, teams[0], today, only_one=True)
                single.append(ms)
        single.sort()
        print(f"effect of one assignment against its team of {TEAM_SIZE}: p50 "
              f"{statistics.median(single):.1f} ms, p95 "
              f"{single[max(0, int(round(0.95 * len(single))) - 1)]:.1f} ms, p95/aim "
              f"{single[max(0, int(round(0.95 * len(single))) - 1)] / EFFECT_AIM_MS:.2f}; "
              f"{one.verdict}")
        timings.sort()
        p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
        print(f"effect of one team of {TEAM_SIZE} agents ({coachings} coachings, last 30 days): "
              f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
              f"p95/aim {p95 / EFFECT_AIM_MS:.2f}; pooled: {pooled.verdict}"
              + (f" {pooled.estimate:+.1f} ({pooled.low:+.1f} to {pooled.high:+.1f})"
                 if pooled.has_estimate else ""))
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    finally:
        if args.keep or args.reuse:
            print(f"kept: measure again with --reuse {organization.slug}")
        else:
            remove(organization)


def remove(organization) -> None:
    with scopes_disabled():
        users = list(Membership.objects.filter(organization=organization)
                     .values_list("user_id", flat=True))
        for model in (CoachingAssignment, ScoreRollup, AttributeAgreement, TeamMember, Team):
            model.objects.filter(organization=organization).delete()
        Attribute.objects.filter(organization=organization).delete()
        Scorecard.objects.filter(organization=organization).delete()
        organization.delete()
        User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
