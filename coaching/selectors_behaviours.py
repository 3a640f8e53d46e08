"""Reads of behaviour coaching (issue 18): how agents score per behaviour (a scorecard
attribute, by its stable ``key``), how often a behaviour fails, and which interactions
show it failing.

Scores come only from :class:`quality.models.ScoreRollup` of the tenant's default
scorecard, read as the quality dashboards read them: an attribute that a *verified*
scorer answers counts the verified automatic answers only; any other attribute counts
the audits. A behaviour's score is its mean points × 100 (a yes/no attribute's pass rate,
with the Wilson interval; a scale's mean, with the t-interval); its *failures* are the
answers that earned no points.

Other modules code against :func:`behaviour_score` and :func:`weakest_interactions`.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, Sum

from quality import stats
from quality.enums import COUNTED_KINDS, COUNTED_STATES, TOTAL_KEY, EvaluationKind
from quality.models import Answer, Evaluation, ScoreRollup
from quality.selectors import attribute_states, dashboard_scorecards, quality_settings
from tenancy.enums import Role
from tenancy.models import Membership, Organization, Team, User
from tenancy.selectors import (
    coachable_agents,
    membership_for,
    sees_everything,
    teams_coached_by,
)
from work.enums import INTERACTION_KINDS
from work.models import WorkItem

_AUTO, _MANUAL = EvaluationKind.AUTO.value, EvaluationKind.MANUAL.value


# --- how scores are read ----------------------------------------------------------------


@dataclass
class Scoring:
    """The default scorecard, its attributes (``quality.selectors.AttributeState``) and
    the verified ``(attribute key, scorer)`` pairs; ``minimum``: the tenant's min reviews."""

    scorecard: object
    attributes: list
    minimum: int
    verified: set = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.scorecard.key if self.scorecard else ""

    @property
    def automatic_keys(self) -> frozenset:
        return frozenset(key for key, _ in self.verified)

    def attribute(self, key: str):
        return next((a for a in self.attributes if a.key == key), None)

    def total_kind(self) -> str:
        """The overall score's source: automatic totals when every automatic attribute is
        verified (the stored totals are then the verified score), else the audits."""
        automatic = [a for a in self.attributes if a.automatic]
        return _AUTO if automatic and all(a.verified for a in automatic) else _MANUAL

    def source(self, keys=None) -> Q:
        """The rollup rows behaviour ``keys`` (all: ``None``) and the total are read from."""
        keys = [a.key for a in self.attributes] if keys is None else list(keys)
        automatic = sorted(k for k in keys if k in self.automatic_keys)
        manual = sorted(k for k in keys if k not in self.automatic_keys)
        scorers = sorted({scorer for _, scorer in self.verified})
        return (Q(attribute_key=TOTAL_KEY, kind=self.total_kind())
                | Q(attribute_key__in=automatic, kind=_AUTO, scorer__in=scorers)
                | Q(attribute_key__in=manual, kind=_MANUAL))


def scoring_of(organization: Organization) -> Scoring:
    """How ``organization``'s behaviour scores are read (two or three queries)."""
    minimum = quality_settings(organization).min_reviews
    cards = dashboard_scorecards(organization)
    if not cards:
        return Scoring(None, [], minimum)
    attributes = attribute_states(organization, cards[0])
    return Scoring(cards[0], attributes, minimum,
                   {(a.key, s) for a in attributes for s in a.verified_scorers})


@dataclass
class Sums:
    """Running sums of one behaviour (points 0–1) or of the total (0–100)."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    failures: int = 0

    def add(self, n, total, total_sq, failures) -> None:
        self.n += n or 0
        self.total += total or 0.0
        self.total_sq += total_sq or 0.0
        self.failures += failures or 0

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


def estimate_of(sums: Sums, attribute, minimum: int) -> stats.Estimate:
    """A behaviour's score 0–100 with its 95 % interval and n: the pass rate of a yes/no
    attribute (Wilson), the mean points of a scale (t)."""
    if attribute is not None and not attribute.scale:
        return stats.scaled(stats.wilson_interval(sums.total, sums.n), n=sums.n,
                            minimum=minimum, factor=100, rate=True)
    return stats.scaled(stats.mean_interval(sums.n, sums.total, sums.total_sq), n=sums.n,
                        minimum=minimum, factor=100)


def total_estimate(sums: Sums, minimum: int) -> stats.Estimate:
    """The overall score (0–100 totals) with its t-interval."""
    return stats.scaled(stats.mean_interval(sums.n, sums.total, sums.total_sq), n=sums.n,
                        minimum=minimum)


def read_sums(organization: Organization, scoring: Scoring, *, agents, start: date,
              end: date, keys=None) -> dict:
    """``{agent id: {attribute key (TOTAL_KEY for the total): Sums}}`` over the days
    ``start``…``end`` (both included) for ``agents`` (ids or a subquery of ids), summed in
    the database: one query whatever the number of days or agents."""
    if scoring.scorecard is None:
        return {}
    rows = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__gte=start, day__lte=end, agent_id__in=agents).filter(scoring.source(keys))
        .values("agent_id", "attribute_key").order_by()
        .annotate(sn=Sum("n"), st=Sum("total"), sq=Sum("total_sq"), sf=Sum("failures"))
        .values_list("agent_id", "attribute_key", "sn", "st", "sq", "sf"))
    result: dict = defaultdict(lambda: defaultdict(Sums))
    for agent, attribute, n, s, ss, failures in rows:
        result[agent][attribute].add(n, s, ss, failures)
    return result


# --- the interface other modules use -----------------------------------------------------


def behaviour_score(organization: Organization, agent: User, attribute_key: str,
                    start: date, end: date) -> stats.Estimate:
    """The agent's score for one behaviour over ``start``…``end`` (days in the tenant's
    time zone, both included): 0–100 with its 95 % interval and n (the answers counted;
    ``enough`` against the tenant's min reviews). ``stats.NONE``-like (n 0) without
    answers or without a default scorecard."""
    scoring = scoring_of(organization)
    sums = read_sums(organization, scoring, agents=[agent.pk], start=start, end=end,
                     keys=[attribute_key])
    mine = sums.get(agent.pk, {}).get(attribute_key, Sums())
    return estimate_of(mine, scoring.attribute(attribute_key), scoring.minimum)


def weakest_interactions(organization: Organization, agent: User, attribute_key: str,
                         limit: int = 3) -> list[tuple]:
    """Up to ``limit`` ``(WorkItem, Evaluation)`` pairs where the agent's behaviour
    failed (the answer earned no points), newest interaction first, each interaction
    once. Only answers that count: submitted or released audits, and automatic answers of
    a verified scorer. When an interaction has both, the audit is the one returned."""
    scoring = scoring_of(organization)
    counted = Q(evaluation__kind=_MANUAL)
    verified_scorers = sorted(s for key, s in scoring.verified if key == attribute_key)
    if verified_scorers:
        counted |= Q(evaluation__kind=_AUTO, scorer__in=verified_scorers)
    answers = (Answer.objects.filter(
        counted, organization=organization, attribute__key=attribute_key, na=False,
        value=0, evaluation__agent=agent, evaluation__state__in=COUNTED_STATES)
        .order_by("-evaluation__interaction_at", "evaluation__interaction_id",
                  "-evaluation__kind")  # "manual" before "auto"
        .values_list("evaluation_id", "evaluation__interaction_id"))
    chosen: list[int] = []
    seen: set[int] = set()
    for evaluation_id, interaction_id in answers[: limit * 4]:
        if interaction_id not in seen:
            seen.add(interaction_id)
            chosen.append(evaluation_id)
        if len(chosen) == limit:
            break
    evaluations = {e.pk: e for e in Evaluation.objects.filter(
        organization=organization, pk__in=chosen).select_related("interaction", "scorecard")}
    return [(evaluations[pk].interaction, evaluations[pk]) for pk in chosen]


# --- who a user sees ----------------------------------------------------------------------

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
OUTLIER_Z = 3.5  # |robust z| above this marks an outlier (Iglewicz & Hoaglin)
OUTLIER_MIN_AGENTS = 3  # agents with enough reviews needed before anyone is an outlier
IMPROVING_POINTS = 1.0  # a change of the overall score smaller than this is not "improving"
PAGE_SIZE = 25


def sees_all_agents(organization: Organization, user: User) -> bool:
    return sees_everything(organization, user, Role.QA_ANALYST)


def visible_agent_ids(organization: Organization, user: User):
    """A subquery of the ids of the agents ``user`` may look at here: every agent of the
    tenant for org admins and QA analysts; the agents of the teams a coach coaches."""
    agents = Membership.objects.filter(organization=organization, is_agent=True)
    if not sees_all_agents(organization, user):
        agents = agents.filter(user_id__in=coachable_agents(organization, user))
    return agents.values("user_id")


def visible_teams(organization: Organization, user: User) -> QuerySet[Team]:
    """The teams the user may choose on the pages: all for org admins and QA analysts,
    the ones they coach for a coach (none without the coach role)."""
    if sees_all_agents(organization, user):
        return Team.objects.filter(organization=organization).order_by("name")
    membership = membership_for(user, organization)
    if membership is None or not membership.is_coach:
        return Team.objects.none()
    return teams_coached_by(organization, user).order_by("name")


def visible_agent(organization: Organization, user: User, agent_id: int) -> User | None:
    """The agent whose overview ``user`` may open (themselves, or one they may look at),
    with their membership as ``agent.membership``; ``None`` otherwise."""
    membership = (Membership.objects.filter(organization=organization, user_id=agent_id)
                  .select_related("user").first())
    if membership is None:
        return None
    if agent_id != user.pk and not Membership.objects.filter(
            organization=organization, user_id=agent_id, is_agent=True,
            user_id__in=visible_agent_ids(organization, user)).exists():
        return None
    agent = membership.user
    agent.membership = membership
    return agent


def teams_of(organization: Organization, agent: User) -> QuerySet[Team]:
    """The teams the agent belongs to, with their managers, by name."""
    return (Team.objects.filter(organization=organization, members=agent)
            .select_related("manager").order_by("name"))


def period_of(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def previous_of(start: date, end: date) -> tuple[date, date]:
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


# --- team performance -------------------------------------------------------------------


@dataclass
class AgentCell:
    agent: User
    estimate: stats.Estimate
    z: float | None = None
    outlier: str = ""  # "high", "low" or ""


@dataclass
class BehaviourRow:
    attribute: object  # AttributeState
    estimate: stats.Estimate
    agents: list  # [AgentCell], weakest first
    outliers_note: str  # why outliers are (not) marked


@dataclass
class TeamPerformance:
    scoring: Scoring
    start: date
    end: date
    agent_count: int
    rows: list  # [BehaviourRow]
    overall: stats.Estimate


def robust_z(values: list[float]) -> tuple[list[float | None], float | None, float | None]:
    """Each value's robust z-score ``0.6745 · (x − median) / MAD`` with the median and
    MAD; ``None`` for every value when the MAD is 0 (no spread to measure against)."""
    if not values:
        return [], None, None
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    if mad == 0:
        return [None for _ in values], median, mad
    return [0.6745 * (v - median) / mad for v in values], median, mad


def _mark_outliers(cells: list[AgentCell], minimum: int) -> str:
    counted = [c for c in cells if c.estimate.enough and c.estimate.has_value]
    if len(counted) < OUTLIER_MIN_AGENTS:
        return (f"Outliers are marked once {OUTLIER_MIN_AGENTS} agents have at least "
                f"{minimum} reviews each; {len(counted)} have.")
    zs, median, mad = robust_z([c.estimate.value for c in counted])
    if mad is None or mad == 0:
        return "Outliers not marked: the agents' scores do not spread (MAD 0)."
    for cell, z in zip(counted, zs, strict=True):
        cell.z = z
        if z is not None and abs(z) > OUTLIER_Z:
            cell.outlier = "high" if z > 0 else "low"
    return (f"Robust z = 0.6745 · (score − median {median:.1f}) / MAD {mad:.1f} over the "
            f"{len(counted)} agents with at least {minimum} reviews; |z| > {OUTLIER_Z} is "
            "an outlier.")


def team_performance(organization: Organization, *, agents: list[User], start: date,
                     end: date, scoring: Scoring | None = None,
                     sort_name=None) -> TeamPerformance:
    """The score of ``agents`` together per behaviour over ``start``…``end``, with each
    agent's own score and robust-z outliers among the agents' means. One rollup query.
    Ties by ``sort_name(agent)`` (the username by default; a page showing pseudonyms
    orders by them — :mod:`tenancy.pseudonyms`)."""
    scoring = scoring or scoring_of(organization)
    sort_name = sort_name or (lambda agent: agent.username)
    sums = read_sums(organization, scoring, agents=[a.pk for a in agents], start=start,
                     end=end)
    rows = []
    for attribute in scoring.attributes:
        team = Sums()
        cells = []
        for agent in agents:
            mine = sums.get(agent.pk, {}).get(attribute.key, Sums())
            team.add(mine.n, mine.total, mine.total_sq, mine.failures)
            cells.append(AgentCell(agent, estimate_of(mine, attribute, scoring.minimum)))
        note = _mark_outliers(cells, scoring.minimum)
        cells.sort(key=lambda c: (not c.estimate.has_value, c.estimate.value or 0,
                                  sort_name(c.agent)))
        rows.append(BehaviourRow(attribute, estimate_of(team, attribute, scoring.minimum),
                                 cells, note))
    overall = Sums()
    for agent in agents:
        mine = sums.get(agent.pk, {}).get(TOTAL_KEY, Sums())
        overall.add(mine.n, mine.total, mine.total_sq, mine.failures)
    return TeamPerformance(scoring, start, end, len(agents), rows,
                           total_estimate(overall, scoring.minimum))


# --- coaching required: frequency × impact ---------------------------------------------


@dataclass
class Need:
    """One agent's behaviour that calls for coaching."""

    agent: User
    attribute: object  # AttributeState
    score: stats.Estimate
    failures: int
    n: int
    frequency: stats.Estimate  # share of the agent's answers that failed (Wilson), 0–100
    team_score: float  # the average over everyone shown, 0–100
    impact: float  # points the agent's overall score would rise, 0–100 scale

    @property
    def priority(self) -> float:
        return (self.frequency.value or 0) / 100 * self.impact


IMPACT_FORMULA = (
    "Impact: points the agent's overall average would rise if this behaviour reached the "
    "average of the agents shown. A failed critical behaviour sets an interaction's total "
    "to 0; z = 1 − Π (1 − the agent's failure rate of each critical behaviour) is the share "
    "of their interactions zeroed that way. For a behaviour that is not critical: (1 − z) × "
    "100 × w × (average − agent's points) / Σ w (w: its scorecard weight; Σ w over the "
    "behaviours the agent was scored on), as zeroed totals stay 0 whatever else improves. "
    "For a critical behaviour: (agent's failure rate − average failure rate) × 100 × Σ w·p "
    "/ Σ w with the critical behaviours counted as passed: the totals it would stop zeroing."
)


def impact_of(mine: dict, attribute, team, attributes: list) -> float:
    """Points (0–100) the agent's overall average would rise if ``attribute`` reached
    ``team`` (the :class:`Sums` of everyone it is compared with); see
    :data:`IMPACT_FORMULA`. ``mine``: the agent's sums by attribute key. Only the
    behaviours' own answers are used: the stored totals may come from automatic scores
    that never answer a critical behaviour only audits check."""
    own = mine.get(attribute.key, Sums())
    if own.mean is None or team.mean is None or team.mean <= own.mean:
        return 0.0
    scored = [a for a in attributes if mine.get(a.key, Sums()).n]
    weight = sum(a.weight for a in scored)
    if not weight:
        return 0.0
    if getattr(attribute, "critical", False):
        rescued = own.failures / own.n - team.failures / team.n
        unzeroed = 100 * sum(a.weight * (1.0 if getattr(a, "critical", False)
                                         else mine[a.key].mean) for a in scored) / weight
        return max(rescued, 0.0) * unzeroed
    kept = 1.0
    for critical in (a for a in scored if getattr(a, "critical", False)):
        sums = mine[critical.key]
        kept *= 1 - sums.failures / sums.n
    return kept * 100 * attribute.weight * (team.mean - own.mean) / weight


def coaching_needs(organization: Organization, *, agents: list[User], start: date,
                   end: date, scoring: Scoring | None = None, sort_name=None) -> list[Need]:
    """Every (agent, behaviour) with failures and room to reach the team average, ranked
    by frequency × impact (agents with enough reviews first; ties by ``sort_name(agent)``,
    the username by default). One rollup query."""
    scoring = scoring or scoring_of(organization)
    sort_name = sort_name or (lambda agent: agent.username)
    sums = read_sums(organization, scoring, agents=[a.pk for a in agents], start=start,
                     end=end)
    teams = {}
    for attribute in scoring.attributes:
        team = teams[attribute.key] = Sums()
        for agent in agents:
            mine = sums.get(agent.pk, {}).get(attribute.key, Sums())
            team.add(mine.n, mine.total, mine.total_sq, mine.failures)
    needs = []
    for agent in agents:
        needs += _needs_of(agent, sums.get(agent.pk, {}), teams, scoring)
    needs.sort(key=lambda need: (not need.frequency.enough, -need.priority,
                                 sort_name(need.agent), need.attribute.key))
    return needs


def _needs_of(agent: User, mine: dict, teams: dict, scoring: Scoring) -> list[Need]:
    """The agent's needs (unsorted) from their sums by attribute key (``mine``) against
    ``teams``, the :class:`Sums` of everyone compared by attribute key."""
    needs = []
    for attribute in scoring.attributes:
        own = mine.get(attribute.key, Sums())
        if not own.failures:
            continue
        team = teams.get(attribute.key, Sums())
        impact = impact_of(mine, attribute, team, scoring.attributes)
        if impact <= 0:
            continue
        frequency = stats.scaled(stats.wilson_interval(own.failures, own.n), n=own.n,
                                 minimum=scoring.minimum, factor=100, rate=True)
        needs.append(Need(agent, attribute, estimate_of(own, attribute, scoring.minimum),
                          own.failures, own.n, frequency, 100 * team.mean, impact))
    return needs


def read_group_sums(organization: Organization, scoring: Scoring, *, agents, start: date,
                    end: date, keys=None) -> dict:
    """``{attribute key: Sums}`` of all ``agents`` together (ids or a subquery of ids) over
    ``start``…``end``: summed in the database, so one query returning a row per attribute
    however many agents are in the group."""
    if scoring.scorecard is None:
        return {}
    rows = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__gte=start, day__lte=end, agent_id__in=agents).filter(scoring.source(keys))
        .values("attribute_key").order_by()
        .annotate(sn=Sum("n"), st=Sum("total"), sq=Sum("total_sq"), sf=Sum("failures"))
        .values_list("attribute_key", "sn", "st", "sq", "sf"))
    result: dict = defaultdict(Sums)
    for attribute, n, s, ss, failures in rows:
        result[attribute].add(n, s, ss, failures)
    return result


# --- the agent overview -----------------------------------------------------------------


@dataclass
class Activity:
    """Work-item metrics of an agent (or of many) over a period."""

    interactions: int
    handle_time: float | None  # mean seconds over the interactions that have one
    handle_n: int


def activity(organization: Organization, *, agents, start: date, end: date) -> Activity:
    """Interactions (calls, chats, e-mails) the agents handled that opened in the period,
    and their mean handle time. One query."""
    tz = organization.tzinfo
    first = datetime.combine(start, time.min, tzinfo=tz)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    row = (WorkItem.objects.filter(organization=organization, assigned_to_id__in=agents,
                                   kind__in=sorted(INTERACTION_KINDS), opened_at__gte=first,
                                   opened_at__lt=after)
           .aggregate(count=Count("pk"), handle=Avg("handle_time_seconds"),
                      handle_n=Count("handle_time_seconds")))
    return Activity(row["count"], row["handle"], row["handle_n"])


@dataclass
class BehaviourTrend:
    attribute: object
    estimate: stats.Estimate
    weeks: list  # [{"week": monday, "value": float | None, "n": int}]
    chart: dict


@dataclass
class AgentOverview:
    agent: User
    start: date
    end: date
    score: stats.Estimate
    previous: stats.Estimate
    activity: Activity
    behaviours: list  # [BehaviourTrend]
    needs: list  # [Need] of this agent, ranked
    teams: list


TREND_WEEKS = 12


def agent_overview(organization: Organization, agent: User, *, start: date, end: date,
                   team_agents) -> AgentOverview:
    """The agent's score, activity and per-behaviour scores over the period, each
    behaviour's weekly trend over the last :data:`TREND_WEEKS` weeks to ``end``, and
    their coaching needs against ``team_agents`` (ids or a subquery of the ids of their
    teams' agents; the agent counts too), whose sums the database adds up: the same
    queries and rows however large the team."""
    from . import charts_behaviours

    scoring = scoring_of(organization)
    current = read_sums(organization, scoring, agents=[agent.pk], start=start, end=end)
    mine = current.get(agent.pk, {})
    previous_start, previous_end = previous_of(start, end)
    before = read_sums(organization, scoring, agents=[agent.pk], start=previous_start,
                       end=previous_end).get(agent.pk, {})
    first_monday = end - timedelta(days=end.weekday() + 7 * (TREND_WEEKS - 1))
    daily = read_daily(organization, scoring, agent=agent, start=first_monday, end=end)
    behaviours = []
    for attribute in scoring.attributes:
        weeks = []
        for i in range(TREND_WEEKS):
            monday = first_monday + timedelta(days=7 * i)
            week = daily.get((attribute.key, monday), Sums())
            weeks.append({"week": monday, "value": None if week.mean is None
                          else 100 * week.mean, "n": week.n})
        behaviours.append(BehaviourTrend(
            attribute, estimate_of(mine.get(attribute.key, Sums()), attribute,
                                   scoring.minimum),
            weeks, charts_behaviours.sparkline(weeks)))
    group = read_group_sums(organization, scoring, start=start, end=end,
                            agents=User.objects.filter(Q(pk__in=team_agents) | Q(pk=agent.pk))
                            .values("pk"))
    needs = _needs_of(agent, mine, group, scoring)
    needs.sort(key=lambda need: (not need.frequency.enough, -need.priority,
                                 need.attribute.key))
    return AgentOverview(
        agent, start, end, total_estimate(mine.get(TOTAL_KEY, Sums()), scoring.minimum),
        total_estimate(before.get(TOTAL_KEY, Sums()), scoring.minimum),
        activity(organization, agents=[agent.pk], start=start, end=end),
        behaviours, needs, [])


def read_daily(organization: Organization, scoring: Scoring, *, agent: User, start: date,
               end: date) -> dict:
    """``{(attribute key, monday): Sums}`` of one agent, summed per day in the database
    and per week here. One query."""
    if scoring.scorecard is None:
        return {}
    rows = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__gte=start, day__lte=end, agent_id=agent.pk).filter(scoring.source())
        .values("day", "attribute_key").order_by()
        .annotate(sn=Sum("n"), st=Sum("total"), sq=Sum("total_sq"), sf=Sum("failures"))
        .values_list("day", "attribute_key", "sn", "st", "sq", "sf"))
    weeks: dict = defaultdict(Sums)
    for day, attribute, n, s, ss, failures in rows:
        weeks[(attribute, day - timedelta(days=day.weekday()))].add(n, s, ss, failures)
    return weeks


# --- the directory of agents -------------------------------------------------------------


@dataclass
class DirectoryRow:
    agent: User
    score: stats.Estimate
    previous: stats.Estimate
    change: float | None  # current − previous when both have enough reviews
    improving: bool
    needs_coaching: bool
    weak: list  # names of the behaviours significantly below everyone's average
    coaching: str  # the latest coaching plan's (or assignment's) status label, or ""
    coaching_at: object = None


def _latest_per_agent(rows: QuerySet) -> QuerySet:
    """Each agent's newest row of ``rows``, in one query on every database (a correlated
    subquery rather than PostgreSQL's ``DISTINCT ON``, so SQLite's `make run` works too)."""
    newest = (rows.filter(agent_id=OuterRef("agent_id"))
              .order_by("-created_at", "-pk").values("pk")[:1])
    return rows.filter(pk=Subquery(newest))


def _latest_coaching(organization: Organization, agent_ids: list[int]) -> dict:
    """``{agent id: (status label, when)}`` of each agent's latest coaching plan, or of
    their latest coaching assignment when the tenant has no plans (yet). Two queries at
    most; plans are read through the app registry (a model another change adds)."""
    from django.apps import apps

    from .models import CoachingAssignment

    found: dict = {}
    try:
        plan_model = apps.get_model("coaching", "CoachingPlan")
    except LookupError:
        plan_model = None
    if plan_model is not None and agent_ids:
        plans = plan_model.objects.filter(organization=organization, agent_id__in=agent_ids)
        if any(f.name == "deleted_at" for f in plan_model._meta.get_fields()):
            plans = plans.filter(deleted_at__isnull=True)
        for plan in _latest_per_agent(plans):
            found[plan.agent_id] = (f"Plan: {plan.get_status_display()}", plan.created_at)
    missing = [pk for pk in agent_ids if pk not in found]
    if missing:
        for assignment in _latest_per_agent(CoachingAssignment.objects.filter(
                organization=organization, agent_id__in=missing)):
            found[assignment.agent_id] = (f"Assignment: {assignment.get_status_display()}",
                                          assignment.created_at)
    return found


def directory_agents(organization: Organization, user: User, query: str = "") -> QuerySet:
    """The agents ``user`` may look at (``query``: words each found in the first name, last
    name or username), in the directory's order: by name, then username and id."""
    agents = User.objects.filter(pk__in=visible_agent_ids(organization, user))
    if query:
        for word in query.split():
            agents = agents.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word)
                                   | Q(username__icontains=word))
    return agents.order_by("first_name", "last_name", "username", "pk")


def directory_rows(organization: Organization, agents: list[User], *, today: date,
                   everyone) -> list[DirectoryRow]:
    """A :class:`DirectoryRow` of each of ``agents``: their overall score over the last 30
    days and the 30 before, whether they improve (+:data:`IMPROVING_POINTS` or more, both
    periods with enough reviews) and whether they need coaching (a behaviour whose 95 %
    interval lies below the average of ``everyone``, ids or a subquery of ids, summed in
    the database). Five or six queries whatever the number of agents."""
    scoring = scoring_of(organization)
    start, end = period_of(today, 30)
    previous_start, previous_end = previous_of(start, end)
    ids = [a.pk for a in agents]
    now = read_sums(organization, scoring, agents=ids, start=start, end=end)
    then = read_sums(organization, scoring, agents=ids, start=previous_start,
                     end=previous_end, keys=[])
    group = read_group_sums(organization, scoring, agents=everyone, start=start, end=end,
                            keys=[a.key for a in scoring.attributes])
    everyone_mean = {attribute.key: None if group[attribute.key].mean is None
                     else 100 * group[attribute.key].mean for attribute in scoring.attributes}
    coaching = _latest_coaching(organization, ids)
    rows = []
    for agent in agents:
        mine = now.get(agent.pk, {})
        score = total_estimate(mine.get(TOTAL_KEY, Sums()), scoring.minimum)
        previous = total_estimate(then.get(agent.pk, {}).get(TOTAL_KEY, Sums()),
                                  scoring.minimum)
        change = (score.value - previous.value) if score.enough and previous.enough else None
        weak = []
        for attribute in scoring.attributes:
            estimate = estimate_of(mine.get(attribute.key, Sums()), attribute, scoring.minimum)
            average = everyone_mean[attribute.key]
            if (estimate.enough and estimate.has_interval and average is not None
                    and estimate.high < average):
                weak.append(attribute.name)
        status, when = coaching.get(agent.pk, ("", None))
        rows.append(DirectoryRow(agent, score, previous, change,
                                 change is not None and change >= IMPROVING_POINTS,
                                 bool(weak), weak, status, when))
    return rows


def directory(organization: Organization, user: User, *, today: date, query: str = "",
              show: str = "") -> list[DirectoryRow]:
    """Every agent the user may look at (``query``: a part of the name or username) as
    :func:`directory_rows`, everyone's average over them. ``show``: ``"needs"`` or
    ``"improving"`` keeps those (decided per agent, so every agent is read: the directory's
    filtered views; the unfiltered one pages first with :func:`directory_page`)."""
    agents = directory_agents(organization, user, query)
    rows = directory_rows(organization, list(agents), today=today,
                          everyone=agents.values("pk"))
    if show == "needs":
        rows = [r for r in rows if r.needs_coaching]
    elif show == "improving":
        rows = [r for r in rows if r.improving]
    return rows


def directory_page(organization: Organization, user: User, *, today: date, query: str = "",
                   number=None):
    """The page ``number`` of the unfiltered directory (:data:`PAGE_SIZE` agents in
    :func:`directory_agents`' order): the database pages the agents, and only the page's
    agents are read (their rows as :func:`directory_rows`, everyone's average summed in the
    database), so the queries and the rows read do not grow with the agents."""
    agents = directory_agents(organization, user, query)
    page = Paginator(agents, PAGE_SIZE).get_page(number)
    page.object_list = directory_rows(organization, list(page.object_list), today=today,
                                      everyone=agents.values("pk"))
    return page


# --- contact-center metrics (the quality home's cards) -----------------------------------


@dataclass
class CenterMetrics:
    start: date
    end: date
    score: stats.Estimate
    previous_score: stats.Estimate
    activity: Activity
    previous_activity: Activity


def center_metrics(organization: Organization, *, agents, start: date,
                   end: date) -> CenterMetrics:
    """Average QA score (every counted evaluation's total, as the scorecard reads them),
    average handle time and interactions of ``agents`` (a subquery of ids) in the period
    and the one before it. Four queries plus the scoring's."""
    scoring = scoring_of(organization)
    previous_start, previous_end = previous_of(start, end)
    scores = []
    for first, last in ((start, end), (previous_start, previous_end)):
        total = Sums()
        for sums in read_sums(organization, scoring, agents=agents, start=first, end=last,
                              keys=[]).values():
            part = sums.get(TOTAL_KEY)
            if part:
                total.add(part.n, part.total, part.total_sq, part.failures)
        scores.append(total_estimate(total, scoring.minimum))
    return CenterMetrics(
        start, end, scores[0], scores[1],
        activity(organization, agents=agents, start=start, end=end),
        activity(organization, agents=agents, start=previous_start, end=previous_end))
