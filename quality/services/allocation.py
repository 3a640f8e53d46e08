"""Audit allocation: which interactions of a week go to which evaluator's audit queue.

The tenant's rules (:class:`quality.selectors.QualitySettings`): ``audits_per_agent_week``
audits per agent and week, at most ``audits_per_evaluator_day`` per evaluator and working
day (five a week). For each agent who had interactions in the week, interactions not yet
audited or allocated are drawn at random — reproducibly, seeded by the organization and the
week — with more weight on low automatic scores and on new agents. Interactions with a
transcript come first (an auditor needs something to read); one without a transcript is
drawn only when the agent has too few with one. Agents are served level
by level (everyone's first audit, then everyone's second…), so when evaluators are short
everyone is reduced evenly rather than some agents dropped. Each audit goes to the least
loaded evaluator who may audit the agent and is not the agent.

Evaluators are the QA analysts; a tenant without QA analysts has its coaches audit their
own teams.
"""

import heapq
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenancy.models import Membership, Organization, Team, TeamManager, TeamMember
from work.enums import INTERACTION_KINDS
from work.models import Transcript, WorkItem

from ..enums import EvaluationKind
from ..models import AuditAssignment, Evaluation
from ..selectors import quality_settings

WORKING_DAYS = 5
NEW_AGENT_DAYS = 30
LOW_SCORE = 70


@dataclass(frozen=True)
class AllocationSummary:
    week: date
    agents: int  # agents with interactions in the week
    agents_covered: int  # agents who have every audit the rules and their interactions allow
    assigned: int  # allocated by this run
    shortfall: int  # audits the rules ask for that no evaluator had room for
    per_agent: int
    capacity: int  # the evaluators' weekly capacity left before this run


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_week(organization: Organization) -> date:
    return monday_of(timezone.localdate(timezone=organization.tzinfo))


@dataclass
class _Candidate:
    key: float
    interaction_id: int
    auto_total: float | None


def _weight(auto_total: float | None, new_agent: bool) -> float:
    weight = 1.0
    if auto_total is not None:
        weight += max(0.0, 100.0 - auto_total) / 50.0
    return weight * (2.0 if new_agent else 1.0)


def _reason(auto_total: float | None, new_agent: bool) -> str:
    parts = []
    if auto_total is not None and auto_total < LOW_SCORE:
        parts.append(f"low automatic score ({auto_total:g})")
    if new_agent:
        parts.append("new agent")
    return ("Random sample, weighted: " + ", ".join(parts)) if parts else "Random sample"


def _evaluators(organization: Organization) -> tuple[list[int], dict[int, set[int]] | None]:
    """``(evaluator ids, None)`` when QA analysts audit everyone; else the coaches and, per
    coach, the agents they may audit."""
    analysts = list(Membership.objects.filter(organization=organization, is_qa_analyst=True)
                    .order_by("user_id").values_list("user_id", flat=True))
    if analysts:
        return analysts, None
    coaches = set(Membership.objects.filter(organization=organization, is_coach=True)
                  .values_list("user_id", flat=True))
    teams: dict[int, set[int]] = defaultdict(set)
    for team_id, manager_id in Team.objects.filter(organization=organization).values_list(
            "pk", "manager_id"):
        if manager_id in coaches:
            teams[team_id].add(manager_id)
    for team_id, user_id in TeamManager.objects.filter(organization=organization).values_list(
            "team_id", "user_id"):
        if user_id in coaches:
            teams[team_id].add(user_id)
    coached: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in TeamMember.objects.filter(organization=organization).values_list(
            "team_id", "user_id"):
        for coach_id in teams.get(team_id, ()):
            coached[coach_id].add(user_id)
    return sorted(coached), dict(coached)


@transaction.atomic
def allocate_week(*, organization: Organization, week_start: date) -> AllocationSummary:
    """Fill the evaluators' audit queues for the week of ``week_start`` (any day of it).

    Idempotent: what was allocated before counts, so a second run for the same week adds
    nothing unless interactions or evaluators were added meanwhile. Locks the organization
    row so two runs cannot allocate the same week at once.
    """
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    rules = quality_settings(organization)
    monday = monday_of(week_start)
    tz = organization.tzinfo
    start = datetime.combine(monday, time.min, tz)
    end = start + timedelta(days=7)
    per_agent = max(0, rules.audits_per_agent_week)
    weekly_cap = max(0, rules.audits_per_evaluator_day) * WORKING_DAYS

    interactions = (WorkItem.objects.filter(organization=organization,
                                            kind__in=INTERACTION_KINDS)
                    .annotate(at=Coalesce("opened_at", "created_at"),
                              agent_id=Coalesce("resolved_by_id", "assigned_to_id"))
                    .filter(at__gte=start, at__lt=end, agent_id__isnull=False))
    audited = Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.MANUAL,
    ).values("interaction_id")
    allocated = AuditAssignment.objects.filter(organization=organization).values(
        "interaction_id")

    # Already reviewed or allocated this week, per agent.
    have: dict[int, int] = defaultdict(int)
    for agent_id, n in (interactions.filter(Q(pk__in=audited) | Q(pk__in=allocated))
                        .values("agent_id").annotate(n=Count("pk"))
                        .values_list("agent_id", "n")):
        have[agent_id] = n
    agents_with_work = set(interactions.values_list("agent_id", flat=True).distinct())

    new_since = start - timedelta(days=NEW_AGENT_DAYS)
    new_agents = set(Membership.objects.filter(
        organization=organization, joined_at__gte=new_since, joined_at__lt=end,
    ).values_list("user_id", flat=True))

    # A weighted sample without replacement per agent (Efraimidis–Spirakis keys), keeping
    # only the best ``per_agent`` keys of each agent; having a transcript ranks first.
    rng = random.Random(f"{organization.pk}:{monday.isoformat()}")
    auto_total = Subquery(Evaluation.objects.filter(
        interaction=OuterRef("pk"), kind=EvaluationKind.AUTO, total__isnull=False,
    ).order_by("-created_at", "-id").values("total")[:1])
    has_transcript = Exists(Transcript.objects.filter(work_item=OuterRef("pk")))
    heaps: dict[int, list[tuple[tuple[bool, float], int, float | None]]] = defaultdict(list)
    open_rows = (interactions.exclude(pk__in=audited).exclude(pk__in=allocated)
                 .annotate(auto=auto_total, readable=has_transcript).order_by("pk")
                 .values_list("pk", "agent_id", "auto", "readable"))
    for pk, agent_id, auto, readable in open_rows.iterator(chunk_size=5000):
        wanted = per_agent - have[agent_id]
        if wanted <= 0:
            continue
        key = (bool(readable), rng.random() ** (1.0 / _weight(auto, agent_id in new_agents)))
        heap = heaps[agent_id]
        if len(heap) < wanted:
            heapq.heappush(heap, (key, pk, auto))
        elif key > heap[0][0]:
            heapq.heapreplace(heap, (key, pk, auto))
    pools = {agent_id: sorted(heap, reverse=True) for agent_id, heap in heaps.items()}

    evaluator_ids, coached = _evaluators(organization)
    load = dict.fromkeys(evaluator_ids, 0)
    for evaluator_id, n in (AuditAssignment.objects.filter(organization=organization,
                                                           week=monday)
                            .values("evaluator_id").annotate(n=Count("pk"))
                            .values_list("evaluator_id", "n")):
        if evaluator_id in load:
            load[evaluator_id] = n
    capacity_before = sum(max(0, weekly_cap - n) for n in load.values())

    def evaluator_for(agent_id: int) -> int | None:
        allowed = [e for e in evaluator_ids if e != agent_id and load[e] < weekly_cap
                   and (coached is None or agent_id in coached.get(e, ()))]
        return min(allowed, key=lambda e: (load[e], e)) if allowed else None

    # Agents in a reproducible random order; level by level, so a short capacity lowers
    # everyone's count by at most one more than anyone else's.
    order = sorted(agents_with_work)
    rng.shuffle(order)
    count = {agent_id: have[agent_id] for agent_id in order}
    new_rows: list[AuditAssignment] = []
    for level in range(1, per_agent + 1):
        for agent_id in sorted(order, key=lambda a: count[a]):
            if count[agent_id] >= level or not pools.get(agent_id):
                continue
            evaluator_id = evaluator_for(agent_id)
            if evaluator_id is None:
                continue
            _, interaction_id, auto = pools[agent_id].pop(0)
            new_rows.append(AuditAssignment(
                organization=organization, interaction_id=interaction_id, agent_id=agent_id,
                evaluator_id=evaluator_id, week=monday,
                reason=_reason(auto, agent_id in new_agents),
            ))
            load[evaluator_id] += 1
            count[agent_id] += 1
    AuditAssignment.objects.bulk_create(new_rows)

    shortfall = covered = 0
    for agent_id in order:
        possible = min(per_agent, have[agent_id] + len(heaps.get(agent_id, ())))
        missing = max(0, possible - count[agent_id])
        shortfall += missing
        covered += int(missing == 0)
    return AllocationSummary(
        week=monday, agents=len(order), agents_covered=covered, assigned=len(new_rows),
        shortfall=shortfall, per_agent=per_agent, capacity=capacity_before,
    )


