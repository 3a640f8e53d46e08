"""Dispute analytics benchmark: p95 and queries of the analytics page at 200 evaluators,
200 agents and 20,000 disputes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coachdesk .venv/bin/python \
        bench/dispute_analytics.py

Creates a throw-away organization with ``--agents`` agents in teams of 20 (default 200),
``--evaluators`` QA analysts (default 200), a current 6-attribute scorecard, and
``--disputes`` released audits (default 20,000) that their agents disputed over the last
year, plus a quarter as many undisputed ones: interactions, audits, dispute rounds (one in
ten goes to a second round) and their disputed attributes (one to three, about a third
changed; one evaluator in ten changes most), all bulk-inserted directly (what the dispute
services would have left), a tenth still open, some decided late. Then renders the
analytics page (the whole request: middleware, view, template) as an org admin for each
period and as the coach of one team, and prints p50/p95, the query count and the ratio of
p95 to the aim (300 ms), the time spent in the database and the process's CPU time, with
the load average (the machine may be shared). Deletes the organization at the end
(``--keep`` keeps it; ``--reuse SLUG`` measures a kept one without building). Never fails
for being slow.
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

from quality.models import (  # noqa: E402
    Attribute,
    CalibrationCandidate,
    Dispute,
    DisputeItem,
    Evaluation,
    Scorecard,
)
from tenancy.models import Membership, Organization, Team, TeamMember, User  # noqa: E402
from work.models import WorkItem  # noqa: E402

AIM_MS = 300.0
KEYS = ["greeting", "empathy", "compliance", "knowledge", "communication", "etiquette"]
TEAM_SIZE = 20
BATCH = 5000


def build(organization, *, agents: int, evaluators: int, disputes: int,
          rng: random.Random):
    stamp = organization.slug
    agent_users = User.objects.bulk_create([User(username=f"{stamp}-a{i}")
                                            for i in range(agents)])
    qa_users = User.objects.bulk_create([User(username=f"{stamp}-q{i}")
                                         for i in range(evaluators)])
    admin = User.objects.create(username=f"{stamp}-admin")
    coach = User.objects.create(username=f"{stamp}-coach")
    Membership.objects.bulk_create(
        [Membership(organization=organization, user=u, is_agent=True) for u in agent_users]
        + [Membership(organization=organization, user=u, is_qa_analyst=True) for u in qa_users]
        + [Membership(organization=organization, user=admin, is_org_admin=True),
           Membership(organization=organization, user=coach, is_coach=True)])
    teams = Team.objects.bulk_create([
        Team(organization=organization, name=f"Team {i}", manager=coach if i == 0 else None)
        for i in range((agents + TEAM_SIZE - 1) // TEAM_SIZE)])
    TeamMember.objects.bulk_create([
        TeamMember(organization=organization, team=teams[i // TEAM_SIZE], user=u)
        for i, u in enumerate(agent_users)])
    card = Scorecard.objects.create(organization=organization, key="bench", name="Bench card",
                                    is_default=True)
    attributes = Attribute.objects.bulk_create([
        Attribute(organization=organization, scorecard=card, key=key, name=key.capitalize(),
                  position=i, weight=10) for i, key in enumerate(KEYS)])
    harsh = {u.pk for u in qa_users[::10]}  # one evaluator in ten: most disputes overturned

    now = timezone.now()
    audits = disputes + disputes // 4
    made = 0
    for start in range(0, audits, BATCH):
        count = min(BATCH, audits - start)
        released = [now - timedelta(days=rng.uniform(0, 365)) for _ in range(count)]
        agents_of = [rng.choice(agent_users) for _ in range(count)]
        items = WorkItem.objects.bulk_create([
            WorkItem(organization=organization, kind="chat", external_id=f"{stamp}-{start + i}",
                     state="resolved", assigned_to=agents_of[i], resolved_by=agents_of[i],
                     opened_at=released[i] - timedelta(days=1),
                     resolved_at=released[i] - timedelta(hours=23))
            for i in range(count)])
        disputed = [start + i < disputes for i in range(count)]
        rounds = [(2 if rng.random() < 0.1 else 1) if d else 0 for d in disputed]
        evaluations = Evaluation.objects.bulk_create([
            Evaluation(organization=organization, interaction=items[i], agent=agents_of[i],
                       scorecard=card, kind="manual", state="released",
                       evaluator=rng.choice(qa_users), total=80.0,
                       interaction_at=items[i].opened_at, submitted_at=released[i],
                       released_at=released[i],
                       review_state="resolved" if rounds[i] else "accepted",
                       review_rounds=rounds[i],
                       reviewed_at=released[i] + timedelta(hours=rng.uniform(30, 200)),
                       review_due_at=released[i] + timedelta(days=7))
            for i in range(count)])
        rows = []
        for evaluation, number in zip(evaluations, rounds, strict=True):
            raised = evaluation.released_at + timedelta(hours=rng.uniform(1, 48))
            for round_no in range(1, number + 1):
                late = rng.random() < 0.15
                open_ = round_no == number and rng.random() < 0.1
                decided = None if open_ else raised + timedelta(
                    hours=rng.uniform(49, 120) if late else rng.uniform(1, 47))
                rows.append(Dispute(
                    organization=organization, evaluation=evaluation, round=round_no,
                    raised_by=evaluation.agent, raised_at=raised, reviewer=evaluation.evaluator,
                    due_at=raised + timedelta(hours=48), decided_by=evaluation.evaluator
                    if decided else None, decided_at=decided, total_before=80.0,
                    total_after=None if open_ else 80.0))
                raised = (decided or raised) + timedelta(hours=rng.uniform(1, 24))
        rounds_made = Dispute.objects.bulk_create(rows)
        disputed_items = []
        for dispute in rounds_made:
            overturn = 0.7 if dispute.evaluation.evaluator_id in harsh else 0.3
            for attribute in rng.sample(attributes, rng.randint(1, 3)):
                decision = "" if dispute.decided_at is None else (
                    "changed" if rng.random() < overturn else "upheld")
                disputed_items.append(DisputeItem(
                    organization=organization, dispute=dispute, attribute=attribute,
                    reason="I did it.", original="No", decision=decision,
                    decided="Yes" if decision == "changed" else ("No" if decision else "")))
        DisputeItem.objects.bulk_create(disputed_items, batch_size=BATCH)
        made += len(rounds_made)
    return admin, coach, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--evaluators", type=int, default=200)
    parser.add_argument("--disputes", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true",
                        help="Keep the organization (to measure again with --reuse).")
    parser.add_argument("--reuse", metavar="SLUG",
                        help="Measure an organization a --keep run built (no build).")
    args = parser.parse_args()
    rng = random.Random(16)
    stamp = args.reuse or f"bench-da-{int(time.time())}"
    with scopes_disabled():
        organization, _ = Organization.objects.get_or_create(slug=stamp,
                                                             defaults={"name": stamp})
    try:
        started = time.perf_counter()
        with scope(organization=organization):
            if args.reuse:
                admin = User.objects.get(username=f"{stamp}-admin")
                coach = User.objects.get(username=f"{stamp}-coach")
            else:
                admin, coach, _ = build(organization, agents=args.agents,
                                        evaluators=args.evaluators, disputes=args.disputes,
                                        rng=rng)
            rounds = Dispute.objects.filter(organization=organization).count()
            items = DisputeItem.objects.filter(organization=organization).count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{connection.vendor}: {args.agents} agents, {args.evaluators} evaluators, "
              f"{rounds:,} dispute rounds, {items:,} disputed attributes (built in "
              f"{time.perf_counter() - started:.0f} s)")
        base = f"/o/{organization.slug}/quality/disputes/analytics/"
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(
            *os.getloadavg(), os.cpu_count()))
        print(f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'p95/aim':>8} "
              f"{'db p50':>8} {'cpu p50':>8}")
        for label, user, query in (
            ("org admin, 30 days", admin, "?period=30"),
            ("org admin, 90 days", admin, "?period=90"),
            ("org admin, 365 days", admin, "?period=365"),
            ("coach of 20, 365 days", coach, "?period=365"),
        ):
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            p50, p95, queries, database, cpu = measure_page(client, base + query, args.runs)
            print(f"{label:<26} {p50:>8.1f} {p95:>8.1f} {queries:>8} {p95 / AIM_MS:>8.2f} "
                  f"{database:>8.1f} {cpu:>8.1f}")
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"aim: the same number of queries on every line of a role, p95 <= {AIM_MS:.0f} ms "
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
        CalibrationCandidate.objects.filter(organization=organization).delete()
        DisputeItem.objects.filter(organization=organization).delete()
        Dispute.objects.filter(organization=organization).delete()
        Evaluation.objects.filter(organization=organization).delete()
        WorkItem.objects.filter(organization=organization).delete()
        for model in (TeamMember, Team, Attribute, Scorecard):
            model.objects.filter(organization=organization).delete()
        organization.delete()
        User.objects.filter(pk__in=users).delete()


if __name__ == "__main__":
    main()
