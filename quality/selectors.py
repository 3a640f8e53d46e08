"""Reads of the quality app: the tenant's quality settings, scorecards and evaluations as a
user may see them. (Pages add their own selectors below; visibility lives here.)"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Q, QuerySet

from tenancy.enums import Role
from tenancy.models import Organization, User
from tenancy.selectors import coachable_agents, sees_everything

from .enums import TOTAL_KEY, EvaluationKind, EvaluationState
from .models import Evaluation, Scorecard


@dataclass(frozen=True)
class ProviderSettings:
    """An outside scorer (an OpenAI-compatible chat endpoint); off unless a tenant sets it."""

    enabled: bool = False
    url: str = ""
    model: str = ""
    api_key: str = ""
    timeout_seconds: float = 10.0


@dataclass(frozen=True)
class QualitySettings:
    """The tenant's quality settings, in ``Organization.settings["quality"]``."""

    release_mode: str = "on_submit"  # or "after_delay"
    release_delay_hours: int = 24
    verify_min_kappa: float = 0.6
    verify_min_pairs: int = 30
    min_reviews: int = 10  # below this an aggregate says "too few reviews to act"
    learned_min_answers: int = 50
    audits_per_agent_week: int = 5
    audits_per_evaluator_day: int = 50
    provider: ProviderSettings = field(default_factory=ProviderSettings)

    def as_dict(self) -> dict:
        return asdict(self)


def quality_settings(organization: Organization) -> QualitySettings:
    raw = dict((organization.settings or {}).get("quality") or {})
    provider = ProviderSettings(**{
        k: v for k, v in (raw.pop("provider", None) or {}).items()
        if k in ProviderSettings.__dataclass_fields__
    })
    known = {k: v for k, v in raw.items() if k in QualitySettings.__dataclass_fields__}
    return QualitySettings(**known, provider=provider)


def current_scorecards(organization: Organization) -> QuerySet[Scorecard]:
    return (Scorecard.objects.filter(organization=organization, is_current=True)
            .prefetch_related("attributes").order_by("name"))


def scorecard_for(organization: Organization, *, queue: str = "") -> Scorecard | None:
    """The current scorecard for an interaction of ``queue``: the queue's own, else the
    default."""
    current = Scorecard.objects.filter(organization=organization, is_current=True)
    if queue:
        own = current.filter(queue=queue).first()
        if own is not None:
            return own
    return current.filter(is_default=True).first()


def visible_evaluations(organization: Organization, user: User) -> QuerySet[Evaluation]:
    """Evaluations ``user`` may open: every counted one for org admins and QA analysts, those
    of the agents they coach for coaches, and an agent's own released manual and automatic
    evaluations. Calibration evaluations are never shown here (calibration has its pages)."""
    base = (Evaluation.objects.filter(organization=organization)
            .exclude(kind=EvaluationKind.CALIBRATION)
            .select_related("interaction", "agent", "scorecard", "evaluator"))
    if sees_everything(organization, user, Role.QA_ANALYST):
        return base
    own = Q(agent=user, state=EvaluationState.RELEASED)
    return base.filter(own | Q(agent__in=coachable_agents(organization, user))
                       | Q(evaluator=user))


# --- dashboards: the leaderboard and "My quality" (read only ScoreRollup) ---------------

LEADERBOARD_PERIODS = (7, 30, 90)
AUTO_SCORE_FORMULA = (
    "The automatic score is the mean of automatic totals when every attribute's scorer is "
    "verified; otherwise it is 100 × Σ w·p / Σ w over the verified attributes, where p is "
    "the mean points of an attribute's verified automatic answers and w its weight on the "
    "current scorecard (a failed critical attribute then lowers its own p only)."
)


@dataclass
class _Sums:
    n: float = 0
    s: float = 0.0
    ss: float = 0.0
    failures: float = 0

    def add(self, n, s, ss, failures) -> None:
        self.n += n or 0
        self.s += s or 0.0
        self.ss += ss or 0.0
        self.failures += failures or 0


@dataclass(frozen=True)
class AttributeState:
    """An attribute of the scorecard as the dashboard shows it: whether a verified scorer
    answers it automatically, and the agreement of its best scorer (κ, pairs)."""

    key: str
    name: str
    weight: int
    scale: bool
    automatic: bool
    verified: bool
    verified_scorers: frozenset
    kappa: float | None
    pairs: int


@dataclass
class ScoreBlock:
    """The numbers of one agent (or of everyone shown) over one period."""

    interactions: int
    auto: object  # stats.Estimate
    auto_from_attributes: bool
    audit: object
    attributes: list  # [(AttributeState, Estimate, source "auto"/"audit"/"")]


@dataclass
class LeaderRow:
    agent: User
    current: ScoreBlock
    previous: ScoreBlock
    trend: float | None  # current − previous score, when both have enough n
    trend_of: str  # "auto" or "audit"


@dataclass
class Leaderboard:
    scorecard: Scorecard | None
    attributes: list
    rows: list
    overall: ScoreBlock | None
    weeks: list  # [{"week": date, "auto": Estimate, "audit": Estimate}]
    start: object
    end: object
    min_reviews: int
    formula: str = AUTO_SCORE_FORMULA


def attribute_states(organization: Organization, scorecard: Scorecard) -> list[AttributeState]:
    """The scorecard's attributes with their verification (one query for agreements;
    attributes come prefetched or in one query)."""
    from .models import AttributeAgreement

    agreements = list(AttributeAgreement.objects.filter(
        organization=organization, scorecard_key=scorecard.key))
    result = []
    for attribute in scorecard.attributes.all():
        mine = [a for a in agreements if a.attribute_key == attribute.key]
        verified = frozenset(a.scorer for a in mine if a.verified)
        best = max(mine, key=lambda a: (a.verified, a.kappa if a.kappa is not None else -2,
                                        a.pairs), default=None)
        result.append(AttributeState(
            key=attribute.key, name=attribute.name, weight=attribute.weight,
            scale=attribute.answer_type == "scale", automatic=bool(attribute.auto) or bool(mine),
            verified=bool(verified), verified_scorers=verified,
            kappa=best.kappa if best else None, pairs=best.pairs if best else 0,
        ))
    return result


def _score_block(sums: dict, attributes: list[AttributeState], minimum: int, *,
                 cells: bool = True) -> ScoreBlock:
    """One :class:`ScoreBlock` from ``{(kind, attribute_key, scorer): _Sums}``;
    ``cells=False`` leaves the per-attribute numbers out (a previous period's trend)."""
    from . import stats

    by_attribute: dict = defaultdict(list)
    for (k, attr, scorer), row in sums.items():
        by_attribute[(k, attr)].append((scorer, row))

    def pooled(kind: str, key: str, scorers=None) -> _Sums:
        total = _Sums()
        for scorer, row in by_attribute.get((kind, key), ()):
            if scorers is None or scorer in scorers:
                total.add(row.n, row.s, row.ss, row.failures)
        return total

    auto_total = pooled(EvaluationKind.AUTO, TOTAL_KEY)
    audit_total = pooled(EvaluationKind.MANUAL, TOTAL_KEY)
    by_key = {a.key: a for a in attributes}
    unverified_used = any(
        k == EvaluationKind.AUTO and attr != TOTAL_KEY and row.n
        and (attr not in by_key or scorer not in by_key[attr].verified_scorers)
        for (k, attr, scorer), row in sums.items()
    )
    attribute_cells, parts = [], []
    for attribute in attributes:
        auto = pooled(EvaluationKind.AUTO, attribute.key, attribute.verified_scorers)
        if auto.n:
            parts.append((attribute.weight, auto.n, auto.s, auto.ss))
        if not cells:
            continue
        manual = pooled(EvaluationKind.MANUAL, attribute.key)
        chosen, source = (auto, "auto") if auto.n else (manual, "audit" if manual.n else "")
        if attribute.scale:
            estimate = stats.scaled(stats.mean_interval(chosen.n, chosen.s, chosen.ss),
                                    n=chosen.n, minimum=minimum, factor=100)
        else:
            estimate = stats.scaled(stats.wilson_interval(chosen.s, chosen.n), n=chosen.n,
                                    minimum=minimum, factor=100, rate=True)
        attribute_cells.append((attribute, estimate, source))
    if unverified_used:
        used_n = min((n for _, n, _, _ in parts), default=0)
        auto = stats.scaled(stats.weighted_mean_interval(parts), n=used_n, minimum=minimum,
                            factor=100)
    else:
        auto = stats.scaled(stats.mean_interval(auto_total.n, auto_total.s, auto_total.ss),
                            n=auto_total.n, minimum=minimum)
    audit = stats.scaled(stats.mean_interval(audit_total.n, audit_total.s, audit_total.ss),
                         n=audit_total.n, minimum=minimum)
    return ScoreBlock(interactions=int(auto_total.n), auto=auto,
                      auto_from_attributes=unverified_used, audit=audit,
                      attributes=attribute_cells)


def _rollup_sums(rows) -> dict:
    """``{group: {(kind, attribute_key, scorer): _Sums}}`` from tuples ``(group, kind,
    attribute_key, scorer, n, sum, sum_sq, failures)``."""
    grouped: dict = defaultdict(dict)
    for group, kind, attribute_key, scorer, n, s, ss, failures in rows:
        grouped[group][(kind, attribute_key, scorer)] = _Sums(n or 0, s or 0.0, ss or 0.0,
                                                              failures or 0)
    return grouped


def leaderboard(
    organization: Organization, *, scorecard: Scorecard | None, today, days: int,
    agents: QuerySet | None, extra_agents: QuerySet | None = None,
) -> Leaderboard:
    """Per agent: auto-scored interactions, the verified-only automatic score, the audit
    score and per-attribute means over the last ``days`` days up to ``today``, with the
    previous period for the trend; and the same numbers for everyone shown, per week.

    ``agents``: a subquery of the user ids that may be shown (``None``: everyone);
    ``extra_agents``: ids listed even without reviews (a team's members). Reads only
    :class:`ScoreRollup`; a constant number of queries whatever the number of agents.
    """
    from datetime import timedelta

    from django.db.models import BooleanField, Case, Sum, Value, When

    from .enums import COUNTED_KINDS
    from .models import ScoreRollup

    minimum = quality_settings(organization).min_reviews
    start = today - timedelta(days=days - 1)
    previous_start = start - timedelta(days=days)
    if scorecard is None:
        return Leaderboard(None, [], [], None, [], start, today, minimum)
    attributes = attribute_states(organization, scorecard)
    base = ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scorecard.key, kind__in=COUNTED_KINDS,
        day__gte=previous_start, day__lte=today,
    )
    if agents is not None:
        base = base.filter(agent_id__in=agents)
    sums = {"sn": Sum("n"), "st": Sum("total"), "sq": Sum("total_sq"), "sf": Sum("failures")}
    columns = ("kind", "attribute_key", "scorer", "sn", "st", "sq", "sf")
    per_agent = list(
        base.annotate(current=Case(When(day__gte=start, then=Value(True)), default=Value(False),
                                   output_field=BooleanField()))
        .values("agent_id", "current", "kind", "attribute_key", "scorer")
        .annotate(**sums).order_by().values_list("current", "agent_id", *columns)
    )
    per_day = list(base.filter(day__gte=start)
                   .values("day", "kind", "attribute_key", "scorer").annotate(**sums)
                   .order_by().values_list("day", *columns))

    current = _rollup_sums(r[1:] for r in per_agent if r[0])
    previous = _rollup_sums(r[1:] for r in per_agent if not r[0])
    ids = set(current) | set(previous)
    people = Q(pk__in=ids)
    if extra_agents is not None:
        people |= Q(pk__in=extra_agents)
    users = User.objects.filter(people).order_by("username")
    rows = []
    for user in users:
        now_block = _score_block(current.get(user.pk, {}), attributes, minimum)
        then_block = _score_block(previous.get(user.pk, {}), attributes, minimum, cells=False)
        trend_of = "auto" if now_block.auto.has_value or then_block.auto.has_value else "audit"
        a, b = getattr(now_block, trend_of), getattr(then_block, trend_of)
        trend = a.value - b.value if a.enough and b.enough else None
        rows.append(LeaderRow(user, now_block, then_block, trend, trend_of))
    rows.sort(key=lambda r: (not r.current.auto.enough,
                             -(r.current.auto.value or 0) if r.current.auto.enough else 0,
                             r.agent.username))

    everyone: dict = defaultdict(_Sums)
    for agent_sums in current.values():
        for key, row in agent_sums.items():
            everyone[key].add(row.n, row.s, row.ss, row.failures)
    overall = _score_block(everyone, attributes, minimum)

    weekly: dict = defaultdict(lambda: defaultdict(_Sums))
    for day, kind, attribute_key, scorer, n, s, ss, failures in per_day:
        monday = day - timedelta(days=day.weekday())
        weekly[monday][(kind, attribute_key, scorer)].add(n, s, ss, failures)
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= today:
        block = _score_block(weekly.get(monday, {}), attributes, minimum, cells=False)
        weeks.append({"week": monday, "auto": block.auto, "audit": block.audit})
        monday += timedelta(days=7)
    return Leaderboard(scorecard, attributes, rows, overall, weeks, start, today, minimum)


def dashboard_scorecards(organization: Organization) -> list[Scorecard]:
    """The current scorecards a dashboard can show, default first, with attributes."""
    return sorted(current_scorecards(organization),
                  key=lambda c: (not c.is_default, c.queue, c.name))


def released_evaluations_of(organization: Organization, agent: User) -> QuerySet[Evaluation]:
    """An agent's own released audits, newest first (what "My quality" lists)."""
    return (Evaluation.objects.filter(organization=organization, agent=agent,
                                      kind=EvaluationKind.MANUAL,
                                      state=EvaluationState.RELEASED)
            .select_related("interaction", "scorecard", "evaluator")
            .order_by("-released_at", "-id"))


# --- audits, interactions and allocation (the audit screen, My audit queue) ------------


def sees_all_audits(organization: Organization, user: User) -> bool:
    """Org admins and QA analysts audit (and correct audits of) every agent."""
    return sees_everything(organization, user, Role.QA_ANALYST)


def may_audit_agent(organization: Organization, user: User, agent: User | None) -> bool:
    """Whether ``user`` may audit ``agent``'s interactions: the audit permission, and for
    a coach only the agents of the teams they coach."""
    if agent is None or not user.has_perm("quality.audit", organization):
        return False
    if sees_all_audits(organization, user):
        return True
    return coachable_agents(organization, user).filter(user_id=agent.pk).exists()


def auditable_interactions(organization: Organization, user: User):
    """Calls, chats and e-mails ``user`` may open and audit (whose agent they may audit)."""
    from work.enums import INTERACTION_KINDS
    from work.models import WorkItem

    base = WorkItem.objects.filter(organization=organization, kind__in=INTERACTION_KINDS)
    if not user.has_perm("quality.audit", organization):
        return base.none()
    if sees_all_audits(organization, user):
        return base
    agents = coachable_agents(organization, user)
    return base.filter(Q(resolved_by__in=agents)
                       | Q(resolved_by__isnull=True, assigned_to__in=agents))


@dataclass(frozen=True)
class InteractionFilters:
    agent: int | None = None
    queue: str = ""
    date_from: object = None  # a date (in the organization's time zone), inclusive
    date_to: object = None
    has_audit: str = ""  # "", "yes" or "no"


def _latest_total(kind: str, *, counted_only: bool):
    from django.db.models import OuterRef, Subquery

    qs = Evaluation.objects.filter(interaction=OuterRef("pk"), kind=kind,
                                   total__isnull=False)
    if counted_only:
        qs = qs.filter(state__in=(EvaluationState.SUBMITTED, EvaluationState.RELEASED))
    return Subquery(qs.order_by("-created_at", "-id").values("total")[:1])


def interaction_list(organization: Organization, user: User,
                     filters: InteractionFilters = InteractionFilters()):
    """The interactions list: newest first, with the agent, the latest automatic score and
    the latest submitted audit score (two subqueries, so one query per page)."""
    from datetime import datetime, time, timedelta

    from django.db.models import Exists, OuterRef

    qs = auditable_interactions(organization, user)
    if filters.agent:
        qs = qs.filter(Q(resolved_by_id=filters.agent)
                       | Q(resolved_by__isnull=True, assigned_to_id=filters.agent))
    if filters.queue:
        qs = qs.filter(queue=filters.queue)
    tz = organization.tzinfo
    if filters.date_from:
        qs = qs.filter(opened_at__gte=datetime.combine(filters.date_from, time.min, tz))
    if filters.date_to:
        qs = qs.filter(opened_at__lt=datetime.combine(filters.date_to + timedelta(days=1),
                                                      time.min, tz))
    audited = Exists(Evaluation.objects.filter(
        interaction=OuterRef("pk"), kind=EvaluationKind.MANUAL,
        state__in=(EvaluationState.SUBMITTED, EvaluationState.RELEASED)))
    if filters.has_audit == "yes":
        qs = qs.filter(audited)
    elif filters.has_audit == "no":
        qs = qs.filter(~audited)
    return (qs.select_related("resolved_by", "assigned_to")
            .annotate(auto_score=_latest_total(EvaluationKind.AUTO, counted_only=False),
                      audit_score=_latest_total(EvaluationKind.MANUAL, counted_only=True))
            .order_by("-opened_at", "-id"))


def audit_filter_choices(organization: Organization, user: User) -> tuple[list, list[str]]:
    """The agents (``(id, name)``) and queues the interactions filter offers."""
    from tenancy.models import Membership

    members = Membership.objects.filter(organization=organization, is_agent=True)
    if not sees_all_audits(organization, user):
        members = members.filter(user_id__in=coachable_agents(organization, user))
    agents = [(m.user_id, m.user.get_full_name() or m.user.username)
              for m in members.select_related("user").order_by("user__username")]
    queues = list(auditable_interactions(organization, user).exclude(queue="")
                  .order_by("queue").values_list("queue", flat=True).distinct())
    return agents, queues


def interaction_detail(organization: Organization, user: User, pk: int):
    """One interaction the user may audit, with its transcript, or ``DoesNotExist``."""
    return (auditable_interactions(organization, user)
            .select_related("resolved_by", "assigned_to", "transcript", "team").get(pk=pk))


def interaction_evaluations(organization: Organization, user: User, interaction):
    return (visible_evaluations(organization, user).filter(interaction=interaction)
            .order_by("kind", "-created_at"))


def best_responses_of(interaction):
    from .models import BestResponse

    return (BestResponse.objects.filter(organization_id=interaction.organization_id,
                                        interaction=interaction)
            .select_related("created_by").order_by("attribute_name"))


def auto_evaluation_of(interaction, scorecard: Scorecard) -> Evaluation | None:
    """The automatic evaluation of the interaction against this scorecard version (else the
    latest automatic one), with its answers."""
    autos = (Evaluation.objects.filter(organization_id=interaction.organization_id,
                                       interaction=interaction, kind=EvaluationKind.AUTO)
             .prefetch_related("answers__attribute"))
    return (autos.filter(scorecard=scorecard).first()
            or autos.order_by("-created_at", "-id").first())


def transcript_of(interaction):
    """The interaction's transcript, or None."""
    from work.models import Transcript

    return Transcript.objects.filter(organization_id=interaction.organization_id,
                                     work_item=interaction).first()


def evaluation_history(evaluation: Evaluation):
    return evaluation.changes.select_related("actor").order_by("at", "id")


def audit_queue(organization: Organization, user: User):
    """The user's allocated audits not done yet, oldest interaction first."""
    from .models import AuditAssignment

    return (AuditAssignment.objects.filter(organization=organization, evaluator=user,
                                           completed_at__isnull=True)
            .select_related("interaction", "agent")
            .annotate(auto_score=_latest_total_for_assignment())
            .order_by("interaction__opened_at", "id"))


def _latest_total_for_assignment():
    from django.db.models import OuterRef, Subquery

    return Subquery(Evaluation.objects.filter(
        interaction=OuterRef("interaction_id"), kind=EvaluationKind.AUTO, total__isnull=False,
    ).order_by("-created_at", "-id").values("total")[:1])


@dataclass(frozen=True)
class AllocationStatus:
    week: object
    assigned: int
    completed: int
    agents: int
    evaluators: int
    mine_open: int


def allocation_status(organization: Organization, user: User, week) -> AllocationStatus:
    """What the allocation gave out for the week starting ``week`` (a Monday)."""
    from django.db.models import Count

    from .models import AuditAssignment

    rows = AuditAssignment.objects.filter(organization=organization, week=week)
    totals = rows.aggregate(
        assigned=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False)),
        agents=Count("agent", distinct=True), evaluators=Count("evaluator", distinct=True),
        mine_open=Count("id", filter=Q(evaluator=user, completed_at__isnull=True)),
    )
    return AllocationStatus(week=week, **totals)


def my_quality_summary(request) -> dict | None:
    """The "My quality" card of the agent's My coaching page: their score over the last
    30 days with its interval and n, or "too few reviews to act"."""
    from django.urls import reverse
    from django.utils import timezone

    organization, user = request.organization, request.user
    if not user.has_perm("quality.view_own_quality", organization):
        return None
    cards = dashboard_scorecards(organization)
    if not cards:
        return None
    board = leaderboard(organization, scorecard=cards[0], days=30, agents=[user.pk],
                        today=timezone.localdate(timezone=organization.tzinfo))
    row = board.rows[0] if board.rows else None
    score = None
    if row is not None:
        score = row.current.auto if row.current.auto.has_value else row.current.audit
    if score is None or not score.has_value:
        value, caption = "—", "no reviews in the last 30 days"
    elif not score.enough:
        value, caption = "—", f"too few reviews to act (n {score.n})"
    else:
        value = f"{score.value:.0f}"
        interval = (f"95 % interval {score.low:.0f}–{score.high:.0f}, " if score.has_interval
                    else "")
        caption = f"{interval}n {score.n}, last 30 days"
    return {
        "title": "Quality score", "value": value, "caption": caption,
        "url": reverse("quality:my_quality", kwargs={"org_slug": organization.slug}),
        "tone": None,
    }


# --- automatic scoring: which scorer answers each attribute, and is it verified ----------


def attribute_status(organization: Organization) -> dict[tuple[str, str], dict]:
    """``{(scorecard key, attribute key): {"scorer", "pairs", "agreement", "kappa",
    "verified"}}`` for the best scorer of each attribute measured against audits: a
    verified one with the highest κ, else the one with the highest κ (then most pairs).
    Attributes without any pair are absent ("not measured yet")."""
    from .models import AttributeAgreement

    rows = (AttributeAgreement.objects.filter(organization=organization)
            .values("scorecard_key", "attribute_key", "scorer", "pairs", "agreement",
                    "kappa", "verified"))
    best: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (row.pop("scorecard_key"), row.pop("attribute_key"))
        rank = (row["verified"], row["kappa"] if row["kappa"] is not None else -2.0,
                row["pairs"], row["scorer"])
        current = best.get(key)
        if current is None or rank > current[0]:
            best[key] = (rank, row)
    return {key: row for key, (_rank, row) in best.items()}
