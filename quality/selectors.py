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
class DisputeSettings:
    """"Agent accept & dispute" (off unless a tenant turns it on)."""

    enabled: bool = False
    max_rounds: int = 2
    window_days: int = 7
    sla_hours: int = 48
    arbitrator_id: int | None = None  # decides the last round (empty: the auditor)


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
    disputes: DisputeSettings = field(default_factory=DisputeSettings)

    def as_dict(self) -> dict:
        return asdict(self)


PROVIDER_KEY_PURPOSE = "quality.provider.api_key"


def _unsealed_key(sealed: str) -> str:
    """The outside scorer's API key, or "" when it cannot be opened (SECRET_KEY changed:
    the org admin types it again)."""
    from tenancy.sealed import SealError, unseal

    try:
        return unseal(sealed, purpose=PROVIDER_KEY_PURPOSE)
    except SealError:
        return ""


def quality_settings(organization: Organization) -> QualitySettings:
    raw = dict((organization.settings or {}).get("quality") or {})
    stored = dict(raw.pop("provider", None) or {})
    if stored.get("api_key_sealed"):  # sealed at rest (tenancy.sealed); plain only in memory
        stored["api_key"] = _unsealed_key(stored["api_key_sealed"])
    provider = ProviderSettings(**{
        k: v for k, v in stored.items() if k in ProviderSettings.__dataclass_fields__
    })
    disputes = DisputeSettings(**{
        k: v for k, v in (raw.pop("disputes", None) or {}).items()
        if k in DisputeSettings.__dataclass_fields__
    })
    known = {k: v for k, v in raw.items() if k in QualitySettings.__dataclass_fields__}
    return QualitySettings(**known, provider=provider, disputes=disputes)


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


LEADERBOARD_PAGE = 100  # agents per page of the leaderboard table

_AUTO, _MANUAL = EvaluationKind.AUTO.value, EvaluationKind.MANUAL.value


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
    critical: bool = False  # a failed answer sets the interaction's total to 0


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
    rows: list  # the agents of ``page`` (all of them when they fit on one page)
    overall: ScoreBlock | None
    weeks: list  # [{"week": date, "auto": Estimate, "audit": Estimate}]
    start: object
    end: object
    min_reviews: int
    formula: str = AUTO_SCORE_FORMULA
    page: object = None  # a django Page of rows, best automatic score first
    agent_count: int = 0


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
            critical=attribute.critical,
        ))
    return result


def _score_block(sums: dict, attributes: list[AttributeState], minimum: int, *,
                 cells: bool = True, from_attributes: bool | None = None) -> ScoreBlock:
    """One :class:`ScoreBlock` from ``{(kind, attribute_key, scorer): (n, sum, sum_sq)}``
    (summed rollups); ``cells=False`` leaves the per-attribute numbers out (what a trend or
    a week needs). The automatic score comes from the verified attributes when any
    unverified automatic answer is in the sums (else from the stored totals), unless
    ``from_attributes`` decides. One pass over the sums, then a handful of intervals."""
    from . import stats

    verified = {(a.key, s) for a in attributes for s in a.verified_scorers}
    auto_total, audit_total = [0, 0.0, 0.0], [0, 0.0, 0.0]
    auto_parts: dict = {}  # attribute -> sums of its verified scorers' answers
    audit_parts: dict = {}
    unverified_used = False
    for (kind, attribute, scorer), (n, s, ss) in sums.items():
        if not n:
            continue
        if attribute == TOTAL_KEY:
            target = (auto_total if kind == _AUTO else audit_total if kind == _MANUAL
                      else None)
        elif kind == _AUTO:
            if (attribute, scorer) not in verified:
                unverified_used = True
                continue
            target = auto_parts.setdefault(attribute, [0, 0.0, 0.0])
        elif cells and kind == _MANUAL:
            target = audit_parts.setdefault(attribute, [0, 0.0, 0.0])
        else:
            continue
        if target is not None:
            target[0] += n
            target[1] += s
            target[2] += ss
    attribute_cells, parts = [], []
    for attribute in attributes:
        auto = auto_parts.get(attribute.key)
        if auto:
            parts.append((attribute.weight, *auto))
        if not cells:
            continue
        chosen, source = (auto, "auto") if auto else (
            (audit_parts[attribute.key], "audit") if attribute.key in audit_parts
            else ((0, 0.0, 0.0), ""))
        n, s, ss = chosen
        if attribute.scale:
            estimate = stats.scaled(stats.mean_interval(n, s, ss), n=n, minimum=minimum,
                                    factor=100)
        else:
            estimate = stats.scaled(stats.wilson_interval(s, n), n=n, minimum=minimum,
                                    factor=100, rate=True)
        attribute_cells.append((attribute, estimate, source))
    if from_attributes is not None:
        unverified_used = from_attributes
    if unverified_used:
        used_n = min((n for _, n, _, _ in parts), default=0)
        auto = stats.scaled(stats.weighted_mean_interval(parts), n=used_n, minimum=minimum,
                            factor=100)
    else:
        auto = stats.scaled(stats.mean_interval(*auto_total), n=auto_total[0],
                            minimum=minimum)
    audit = stats.scaled(stats.mean_interval(*audit_total), n=audit_total[0], minimum=minimum)
    return ScoreBlock(interactions=int(auto_total[0]), auto=auto,
                      auto_from_attributes=unverified_used, audit=audit,
                      attributes=attribute_cells)


def _rank(sums: dict, attributes: list[AttributeState], minimum: int,
          verified: set) -> tuple:
    """The sort key of an agent's automatic score (best first, too few reviews last), the
    same value :func:`_score_block` shows, without building intervals."""
    total_n, total_s, parts, unverified_used = 0, 0.0, {}, False
    for (kind, attribute, scorer), (n, s, _ss) in sums.items():
        if not n or kind != _AUTO:
            continue
        if attribute == TOTAL_KEY:
            total_n += n
            total_s += s
        elif (attribute, scorer) in verified:
            part = parts.get(attribute)
            parts[attribute] = (part[0] + n, part[1] + s) if part else (n, s)
        else:
            unverified_used = True
    if unverified_used:
        used = [(a.weight, *parts[a.key]) for a in attributes if a.key in parts]
        n = min((n for _, n, _ in used), default=0)
        used = [(w, n_, s) for w, n_, s in used if w > 0]
        weight = sum(w for w, _, _ in used)
        value = (sum(w * s / n_ for w, n_, s in used) / weight * 100) if used else None
    else:
        n, value = total_n, (total_s / total_n if total_n else None)
    enough = n >= minimum
    return (not enough, -(value or 0) if enough else 0)


def _rows_of(queryset) -> list[tuple]:
    """The rows of a ``values_list`` query of ids, strings and sums as the database driver
    returns them: thousands of summed rows skip Django's per-value converters (ints and
    floats need none)."""
    from django.db import connections

    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _leader_row(user, now_block: ScoreBlock, then_block: ScoreBlock) -> LeaderRow:
    trend_of = "auto" if now_block.auto.has_value or then_block.auto.has_value else "audit"
    a, b = getattr(now_block, trend_of), getattr(then_block, trend_of)
    trend = a.value - b.value if a.enough and b.enough else None
    return LeaderRow(user, now_block, then_block, trend, trend_of)


def leaderboard(
    organization: Organization, *, scorecard: Scorecard | None, today, days: int,
    agents: QuerySet | None, extra_agents: QuerySet | None = None, page=1,
    per_page: int = LEADERBOARD_PAGE, sort_name=None,
) -> Leaderboard:
    """Per agent: auto-scored interactions, the verified-only automatic score, the audit
    score and per-attribute means over the last ``days`` days up to ``today``, with the
    previous period for the trend; and the same numbers for everyone shown, per week.

    ``agents``: a subquery of the user ids that may be shown (``None``: everyone);
    ``extra_agents``: ids listed even without reviews (a team's members). Rows are sorted
    by automatic score (agents with too few reviews last; ties by ``sort_name(user)``,
    the username by default: a page that shows pseudonyms orders by them, not by the hidden
    names — :mod:`tenancy.pseudonyms`) and paged ``per_page`` at a time
    (``page``: the page number, as a paginator reads it); only the page's agents get
    per-attribute numbers.

    Reads only :class:`ScoreRollup`, summed in the database (Python sees summed rows
    only), in three queries whatever the number of agents: the current period grouped by
    agent, kind, attribute and scorer; the previous period of the page's agents only; the
    rows the weeks need, grouped by day. Listed: the agents with reviews in the period
    and ``extra_agents``. The weeks use the period's formula for the automatic score, so
    the line compares like with like.
    """
    from datetime import timedelta

    from django.core.paginator import Paginator
    from django.db.models import Sum

    from .enums import COUNTED_KINDS
    from .models import ScoreRollup

    minimum = quality_settings(organization).min_reviews
    start = today - timedelta(days=days - 1)
    previous_start = start - timedelta(days=days)
    if scorecard is None:
        return Leaderboard(None, [], [], None, [], start, today, minimum)
    attributes = attribute_states(organization, scorecard)
    unfiltered = base = ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scorecard.key, kind__in=COUNTED_KINDS,
        day__gte=previous_start, day__lte=today,
    )
    if agents is not None:
        base = base.filter(agent_id__in=agents)
    sums = {"sn": Sum("n"), "st": Sum("total"), "sq": Sum("total_sq")}
    group = ("kind", "attribute_key", "scorer")
    now, then = Q(day__gte=start), Q(day__lt=start)
    # 1. Every agent's current period: ranks the agents, and sums to everyone's numbers.
    per_agent = (base.filter(now).values("agent_id", *group).annotate(**sums).order_by()
                 .values_list("agent_id", *group, "sn", "st", "sq"))
    current: dict = defaultdict(dict)
    everyone: dict = defaultdict(lambda: [0, 0.0, 0.0])
    for agent, kind, attribute, scorer, n, s, ss in _rows_of(per_agent):
        if not n:
            continue
        key = (kind, attribute, scorer)
        current[agent][key] = (n, s or 0.0, ss or 0.0)
        total = everyone[key]
        total[0] += n
        total[1] += s or 0.0
        total[2] += ss or 0.0
    overall = _score_block(everyone, attributes, minimum)

    people = Q(pk__in=list(current))
    if extra_agents is not None:
        people |= Q(pk__in=extra_agents)
    empty: dict = {}
    verified = {(a.key, scorer) for a in attributes for scorer in a.verified_scorers}
    sort_name = sort_name or (lambda user: user.username)
    ranked = sorted(  # best automatic score first, then by username (or what is shown)
        ((_rank(current.get(user.pk, empty), attributes, minimum, verified), sort_name(user),
          user) for user in User.objects.filter(people)),
        key=lambda r: r[:2])
    shown = Paginator([user for _, _, user in ranked], per_page).get_page(page)

    # 2. The previous period of the page's agents only (their trend). They are among the
    #    agents that may be shown; by their ids alone the (organization, agent, day) index
    #    reads just their days.
    previous: dict = defaultdict(dict)
    page_ids = [user.pk for user in shown.object_list]
    if page_ids:
        for agent, kind, attribute, scorer, n, s, ss in _rows_of(
            unfiltered.filter(then, agent_id__in=page_ids).values("agent_id", *group)
            .annotate(**sums).order_by().values_list("agent_id", *group, "sn", "st", "sq")
        ):
            if n:
                previous[agent][(kind, attribute, scorer)] = (n, s or 0.0, ss or 0.0)
    rows = [_leader_row(user, _score_block(current.get(user.pk, empty), attributes, minimum),
                        _score_block(previous.get(user.pk, empty), attributes, minimum,
                                     cells=False))
            for user in shown.object_list]
    shown.object_list = rows

    # 3. Everyone per week, by the period's formula (stored totals, or the verified
    #    attributes when the period has unverified automatic answers): only those rows.
    from_attributes = overall.auto_from_attributes
    weekly_rows = Q(attribute_key=TOTAL_KEY)
    if from_attributes:
        weekly_rows = (Q(attribute_key=TOTAL_KEY, kind=EvaluationKind.MANUAL)
                       | Q(kind=EvaluationKind.AUTO,
                           attribute_key__in=sorted({key for key, _ in verified})))
    per_day = (base.filter(now, weekly_rows).values("day", *group).annotate(**sums)
               .order_by().values_list("day", *group, "sn", "st", "sq"))
    weekly: dict = defaultdict(lambda: defaultdict(lambda: [0, 0.0, 0.0]))
    for day, kind, attribute, scorer, n, s, ss in per_day:
        if not n:
            continue
        total = weekly[day - timedelta(days=day.weekday())][(kind, attribute, scorer)]
        total[0] += n
        total[1] += s or 0.0
        total[2] += ss or 0.0
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= today:
        block = _score_block(weekly.get(monday, empty), attributes, minimum, cells=False,
                             from_attributes=from_attributes)
        weeks.append({"week": monday, "auto": block.auto, "audit": block.audit})
        monday += timedelta(days=7)
    return Leaderboard(scorecard, attributes, rows, overall, weeks, start, today, minimum,
                       page=shown, agent_count=len(ranked))


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
    has_transcript: str = ""  # "", "yes" or "no"


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
    if filters.has_transcript == "yes":
        qs = qs.filter(transcript__isnull=False)
    elif filters.has_transcript == "no":
        qs = qs.filter(transcript__isnull=True)
    return (qs.select_related("resolved_by", "assigned_to")
            .annotate(auto_score=_latest_total(EvaluationKind.AUTO, counted_only=False),
                      audit_score=_latest_total(EvaluationKind.MANUAL, counted_only=True))
            .order_by("-opened_at", "-id"))


def audit_filter_choices(organization: Organization, user: User) -> tuple[QuerySet, list[str]]:
    """The agents (users, for the filter's type-ahead box) and queues the interactions filter
    offers."""
    from tenancy.models import Membership

    members = Membership.objects.filter(organization=organization, is_agent=True)
    if not sees_all_audits(organization, user):
        members = members.filter(user_id__in=coachable_agents(organization, user))
    agents = User.objects.filter(pk__in=members.values("user_id"))
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
