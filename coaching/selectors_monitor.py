"""Reads of the coaching monitor: one row per coaching assignment with the agent's scores
at the assigned date and now, each coached attribute's progress, and the coaching effect
(difference-in-differences against comparable uncoached agents, :mod:`coaching.did`).

Scores come only from :class:`quality.models.ScoreRollup` of the default scorecard, read
as the quality dashboards read them: an attribute counts its *verified* automatic answers
when a verified scorer answers it, else the audits'; the automatic score is the
leaderboard's verified-only score; the scorecard score is the audits' mean total.

Periods (in the organization's days): *at the assigned date* = the 7 days before it;
*now* = the last 7 days. The effect's "after" is the last 7 days from the assigned date on
(a coaching assigned 3 days ago has 4 days after it, never days before it).

Comparison agents: the coached agent's team mates (every team they are in) not coached on
the same area with an assigned date in the window, with enough scores in both periods, of
a similar level before (:func:`coaching.did.similar`). Agents in no team have none ("too
little data to tell").
"""

import functools
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, Sum

from quality.enums import COUNTED_KINDS, TOTAL_KEY, EvaluationKind
from quality.models import ScoreRollup
from quality.selectors import (
    _score_block,
    attribute_states,
    dashboard_scorecards,
    quality_settings,
)
from tenancy.models import Organization, Team, TeamMember, User
from tenancy.selectors import teams_coached_by

from . import did
from .models import AssignmentArea, CoachingAssignment
from .selectors_assignments import reachable, sees_all_agents, supervised_assignments

WINDOW = 7
PAGE_SIZE = 25
# Up to this many windows the database sums each window (a column triple each); more are
# summed in Python from one row per day.
WINDOWS_SUMMED = 16
FLAT = 0.5  # points: a smaller change is shown as flat, not as a spike or a dip
_AUTO, _MANUAL = EvaluationKind.AUTO.value, EvaluationKind.MANUAL.value


# --- filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitorFilters:
    """Exactly one date filter: ``date_field`` is ``"assigned"`` (default the last 7 days)
    or ``"follow_up"`` (default today)."""

    date_field: str = "assigned"
    date_from: date | None = None
    date_to: date | None = None
    attributes: tuple[str, ...] = ()
    teams: tuple[int, ...] = ()
    agents: tuple[int, ...] = ()


def default_range(date_field: str, today: date) -> tuple[date, date]:
    if date_field == "follow_up":
        return today, today
    return today - timedelta(days=WINDOW - 1), today


def filter_choices(organization: Organization, user: User) -> dict:
    """The teams and agents the filters offer (what the user reaches); the areas are
    :func:`coaching.selectors_assignments.available_areas`."""
    teams = Team.objects.filter(organization=organization)
    if not sees_all_agents(organization, user):
        teams = teams_coached_by(organization, user)
    agents = (User.objects.filter(reachable(organization, user, field_name="pk"))
              .filter(memberships__organization=organization, memberships__is_agent=True)
              .order_by("first_name", "last_name", "username").distinct())
    return {"teams": [(t.pk, t.name) for t in teams.order_by("name")],
            "agents": [(u.pk, u.get_full_name() or u.username) for u in agents]}


# --- scores -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mean:
    value: float | None
    n: int


@dataclass(frozen=True)
class Change:
    """A score at the assigned date and now, with the n of each."""

    before: Mean
    now: Mean

    @property
    def delta(self) -> float | None:
        if self.before.value is None or self.now.value is None:
            return None
        return self.now.value - self.before.value

    @property
    def direction(self) -> str:
        """``spike``, ``dip``, ``flat``, or ``""`` when one side has no score."""
        delta = self.delta
        if delta is None:
            return ""
        if abs(delta) < FLAT:
            return "flat"
        return "spike" if delta > 0 else "dip"


@dataclass
class Scoring:
    """How scores are read: the default scorecard, its attributes' verification."""

    scorecard: object
    attributes: list
    minimum: int
    verified: set = field(default_factory=set)  # {(attribute key, scorer)}

    @property
    def key(self) -> str:
        return self.scorecard.key if self.scorecard else ""

    def automatic(self, attribute_key: str) -> bool:
        """Whether the attribute is read from verified automatic answers (else audits)."""
        return attribute_key in self.automatic_keys

    @functools.cached_property
    def automatic_keys(self) -> frozenset:
        return frozenset(key for key, _ in self.verified)

    def total_kind(self) -> str:
        """An assessment's score: automatic totals when every automatic attribute is
        verified (then the stored totals are the verified score), else audits."""
        automatic = [a for a in self.attributes if a.automatic]
        return _AUTO if automatic and all(a.verified for a in automatic) else _MANUAL


def scoring_of(organization: Organization) -> Scoring:
    cards = dashboard_scorecards(organization)
    if not cards:
        return Scoring(None, [], quality_settings(organization).min_reviews)
    attributes = attribute_states(organization, cards[0])
    return Scoring(cards[0], attributes, quality_settings(organization).min_reviews,
                   {(a.key, s) for a in attributes for s in a.verified_scorers})


Window = tuple  # (first day, last day), both included
# agent id -> attribute key -> [(kind, scorer, {day: (n, sum, sum of squares)})]
Rows = dict


def _source(scoring: Scoring, keys) -> Q:
    """The rollup rows the scores of ``keys`` (and the total) are read from: verified
    automatic answers of an attribute a verified scorer answers, else audits."""
    automatic = sorted(k for k in keys if scoring.automatic(k))
    manual = sorted(k for k in keys if not scoring.automatic(k))
    scorers = sorted({scorer for key, scorer in scoring.verified})
    return (Q(attribute_key=TOTAL_KEY, kind=scoring.total_kind())
            | Q(attribute_key__in=automatic, kind=_AUTO, scorer__in=scorers)
            | Q(attribute_key__in=manual, kind=_MANUAL))


def _read_rollups(organization: Organization, scoring: Scoring, *, all_of: set[int],
                  parts: list = (), windows: set[Window]) -> Rows:
    """The rollup rows of the default scorecard on the days of ``windows``: every row of
    the agents ``all_of`` (ids); and for each ``(agents, keys)`` of ``parts`` (agents: ids
    or a subquery of ids) the rows the scores of ``keys`` and the total are read from
    (:func:`_source`). One query: the database sums each agent's rows of each kind,
    attribute and scorer over every window (a column triple per window), so Python reads
    a few rows per agent rather than one per day; read without Django's converters."""
    if not scoring.scorecard or not windows:
        return {}
    who = Q(agent_id__in=sorted(all_of)) if all_of else Q(pk__in=[])
    for agents, keys in parts:
        who |= Q(agent_id__in=agents) & _source(scoring, keys)
    if len(windows) > WINDOWS_SUMMED:
        return _read_days(organization, scoring, who, windows)
    ordered = sorted(windows)
    sums = {}
    for i, (first, last) in enumerate(ordered):
        days = Q(day__gte=first, day__lte=last)
        sums |= {f"n{i}": Sum("n", filter=days), f"s{i}": Sum("total", filter=days),
                 f"q{i}": Sum("total_sq", filter=days)}
    qs = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__gte=ordered[0][0], day__lte=max(last for _, last in ordered)).filter(who)
        .values("agent_id", "attribute_key", "kind", "scorer").annotate(**sums).order_by()
        .values_list("agent_id", "attribute_key", "kind", "scorer", *sums))
    rows: Rows = defaultdict(lambda: defaultdict(list))
    empty = (0, 0.0, 0.0)
    for agent, attribute, kind, scorer, *values in _fetch(qs):
        series = _Days()
        for i, window in enumerate(ordered):
            n = values[3 * i]
            series.sums[window] = (n, values[3 * i + 1], values[3 * i + 2]) if n else empty
        rows[agent][attribute].append((kind, scorer, series))
    return rows


def _fetch(qs) -> list[tuple]:
    """The rows of a ``values_list`` query as the driver returns them (thousands of sums
    and dates need none of Django's per-value converters)."""
    sql, params = qs.query.get_compiler(qs.db).as_sql()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _read_days(organization: Organization, scoring: Scoring, who: Q,
               windows: set[Window]) -> Rows:
    """:func:`_read_rollups` for many windows (a team's month of coachings): one row per
    day, summed per window in Python (a column triple per window would cost more)."""
    days = sorted({day for window in windows for day in _days_of(window)})
    qs = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__in=days).filter(who)
        .values_list("agent_id", "attribute_key", "kind", "scorer", "day", "n", "total",
                     "total_sq"))
    rows: Rows = defaultdict(lambda: defaultdict(list))
    found: dict = {}
    for agent, attribute, kind, scorer, day, n, s, ss in _fetch(qs):
        if not n:
            continue
        by_day = found.get((agent, attribute, kind, scorer))
        if by_day is None:
            by_day = found[(agent, attribute, kind, scorer)] = _Days()
            rows[agent][attribute].append((kind, scorer, by_day))
        by_day[day] = (n, s, ss)
    return rows


class _Days(dict):
    """One rollup series: ``{day: (n, sum, sum of squares)}`` and its sums per window
    (``sums``: filled by the database, or remembered once summed here)."""

    def __init__(self) -> None:
        super().__init__()
        self.sums: dict = {}


@functools.lru_cache(maxsize=1024)
def _days_of(window: Window) -> tuple[date, ...]:
    first, last = window
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def _over(by_day: _Days, window: Window) -> tuple[float, float, float]:
    found = by_day.sums.get(window)
    if found is None:
        n = s = ss = 0.0
        for day in _days_of(window):
            values = by_day.get(day)
            if values:
                n, s, ss = n + values[0], s + values[1], ss + values[2]
        found = by_day.sums[window] = (n, s, ss)
    return found


def _series_sums(rows: dict, keys: tuple[str, ...], window: Window,
                 scoring: Scoring) -> did.Sums:
    """The sums (0–100) of the score ``keys`` (attribute keys; ``()``: the total) of one
    agent's ``rows`` over ``window``."""
    n = s = ss = 0.0
    if keys:
        for attribute in keys:
            automatic = scoring.automatic(attribute)
            for kind, scorer, by_day in rows.get(attribute, ()):
                if (kind == _AUTO and automatic and (attribute, scorer) in scoring.verified
                        or kind == _MANUAL and not automatic):
                    rn, rs, rss = _over(by_day, window)
                    n, s, ss = n + rn, s + rs * 100, ss + rss * 10_000
    else:
        kind_wanted = scoring.total_kind()
        for kind, _scorer, by_day in rows.get(TOTAL_KEY, ()):
            if kind == kind_wanted:
                rn, rs, rss = _over(by_day, window)
                n, s, ss = n + rn, s + rs, ss + rss
    return did.Sums(n, s, ss)


def _mean(sums: did.Sums) -> Mean:
    return Mean(sums.mean, int(sums.n))


def _scores(rows: dict, window: Window, scoring: Scoring) -> tuple[Mean, Mean]:
    """The audits' mean total and the verified-only automatic score over ``window``."""
    sums = {(kind, attribute, scorer): _over(by_day, window)
            for attribute, parts in rows.items() for kind, scorer, by_day in parts}
    block = _score_block(sums, scoring.attributes, scoring.minimum, cells=False)
    return Mean(block.audit.value, block.audit.n), Mean(block.auto.value, block.auto.n)


# --- the effect of many coachings at once ---------------------------------------------


@dataclass(frozen=True)
class Coaching:
    """One agent coached on ``keys`` (attribute keys; ``()``: the total score) from
    ``start``; ``key`` names it in the result."""

    key: object
    agent_id: int
    start: date
    keys: tuple[str, ...]


@dataclass
class EffectDetail:
    """An effect with the comparison agents' level (for the chart)."""

    effect: did.Effect
    before: tuple[date, date]
    after: tuple[date, date] | None
    comparison_ids: list[int] = field(default_factory=list)


def _windows(start: date, today: date) -> tuple[tuple[date, date], tuple[date, date] | None]:
    before = (start - timedelta(days=WINDOW), start - timedelta(days=1))
    after_start = max(start, today - timedelta(days=WINDOW - 1))
    return before, ((after_start, today) if after_start <= today else None)


def _seed(key: object) -> list[int]:
    return [did.SEED, zlib.crc32(repr(key).encode())]


def _team_mates(organization: Organization, agent_ids: set[int]) -> tuple[dict, dict]:
    """``({agent: {team mate}}, {agent: [team names]})`` in one query; ``mates`` also
    holds ``("teams", agent)``: the agent's team ids."""
    rows = (TeamMember.objects.filter(organization=organization, team_id__in=TeamMember.objects
                                      .filter(organization=organization,
                                              user_id__in=sorted(agent_ids))
                                      .values("team_id"))
            .values_list("team_id", "team__name", "user_id"))
    by_team: dict = defaultdict(set)
    names: dict = {}
    for team_id, name, user_id in rows:
        by_team[team_id].add(user_id)
        names[team_id] = name
    mates: dict = defaultdict(set)
    teams: dict = defaultdict(list)
    for team_id, members in by_team.items():
        for agent in members & agent_ids:
            mates[agent] |= members - {agent}
            mates[("teams", agent)].add(team_id)
            teams[agent].append(names[team_id])
    return mates, {a: sorted(t) for a, t in teams.items()}


def _coached_dates(organization: Organization, keys: set[str], since: date) -> dict:
    """``{(agent, attribute key): [assigned dates]}`` of assignments from ``since``; the
    key ``""`` gathers every assignment (an assessment's comparison excludes them all)."""
    out: dict = defaultdict(list)
    for agent, key, day in (AssignmentArea.objects.filter(
            organization=organization, assignment__assigned_date__gte=since)
            .values_list("assignment__agent_id", "attribute_key", "assignment__assigned_date")):
        if key in keys:
            out[(agent, key)].append(day)
        out[(agent, "")].append(day)
    return out


def effects_for(organization: Organization, scoring: Scoring, coachings: list[Coaching],
                today: date, *, mates: dict | None = None) -> dict:
    """``{coaching.key: EffectDetail}``: each coaching's difference-in-differences against
    its comparison agents. Three queries whatever the number of coachings (team mates,
    coached areas, rollups); ``mates``: the team mates when a caller already read them."""
    if not coachings:
        return {}
    agent_ids = {c.agent_id for c in coachings}
    if mates is None:
        mates, _ = _team_mates(organization, agent_ids)
    keys = {k for c in coachings for k in c.keys}
    earliest = min(c.start for c in coachings) - timedelta(days=WINDOW)
    coached = _coached_dates(organization, keys, earliest)
    windows: set = set()
    plans = []
    for c in coachings:
        before, after = _windows(c.start, today)
        plans.append((c, before, after))
        windows |= {before, after} - {None}
    # Each team's members (a subquery: hundreds of ids make a long statement to parse)
    # with only the areas its coached agents were coached on.
    team_keys: dict = defaultdict(set)
    for c in coachings:
        for team_id in mates.get(("teams", c.agent_id), ()):
            team_keys[team_id] |= set(c.keys)
    parts = [(sorted(agent_ids), keys)] + [
        (TeamMember.objects.filter(organization=organization, team_id=team_id)
         .values("user_id"), team_keys[team_id]) for team_id in sorted(team_keys)]
    rows = _read_rollups(organization, scoring, all_of=set(), parts=parts, windows=windows)
    series_of: dict = {}

    def series(agent: int, keys: tuple, before: Window, after: Window) -> did.AgentSeries:
        found = series_of.get((agent, keys, before, after))
        if found is None:
            mine = rows.get(agent, {})
            found = series_of[(agent, keys, before, after)] = did.AgentSeries(
                agent, _series_sums(mine, keys, before, scoring),
                _series_sums(mine, keys, after, scoring))
        return found

    result = {}
    for c, before, after in plans:
        if after is None:
            result[c.key] = EffectDetail(did.Effect(verdict=did.TOO_LITTLE), before, None)
            continue
        coached_series = series(c.agent_id, c.keys, before, after)
        candidates = [
            series(peer, c.keys, before, after)
            for peer in sorted(mates.get(c.agent_id, ()))
            # coached on this area in the window: not a comparison
            if not any(before[0] <= d <= today for k in (c.keys or ("",))
                       for d in coached.get((peer, k), ()))]
        comparison = did.similar(coached_series.before.mean, candidates)
        effect = did.estimate_effect([coached_series], comparison, seed=_seed(c.key))
        result[c.key] = EffectDetail(effect, before, after, [s.agent_id for s in comparison])
    return result


# --- the monitor --------------------------------------------------------------------


@dataclass
class AreaProgress:
    key: str
    name: str
    change: Change
    effect: did.Effect | None  # None on the monitor's page (only its detail needs it)


@dataclass
class MonitorRow:
    assignment: CoachingAssignment
    teams: list[str]
    manual: Change
    auto: Change
    areas: list[AreaProgress]
    effect: did.Effect  # on the coached attributes together
    detail: EffectDetail | None = None


def monitor_assignments(organization: Organization, user: User, filters: MonitorFilters,
                        today: date):
    qs = supervised_assignments(organization, user)
    start, end = filters.date_from, filters.date_to
    if start is None or end is None:
        start, end = default_range(filters.date_field, today)
    field_name = "follow_up_date" if filters.date_field == "follow_up" else "assigned_date"
    qs = qs.filter(**{f"{field_name}__gte": start, f"{field_name}__lte": end})
    if filters.attributes:
        qs = qs.filter(pk__in=AssignmentArea.objects.filter(
            organization=organization, attribute_key__in=filters.attributes)
            .values("assignment_id"))
    if filters.teams:
        qs = qs.filter(agent_id__in=TeamMember.objects.filter(
            organization=organization, team_id__in=filters.teams).values("user_id"))
    if filters.agents:
        qs = qs.filter(agent_id__in=filters.agents)
    return (qs.select_related("agent", "assigner").prefetch_related("areas")
            .order_by("-assigned_date", "-id"))


def monitor_rows(organization: Organization, assignments: list[CoachingAssignment],
                 today: date, scoring: Scoring | None = None, *,
                 area_effects: bool = False) -> list[MonitorRow]:
    """The monitor's rows for ``assignments`` (with ``areas`` prefetched): scores at the
    assigned date and now, per-area progress, the effect on the coached attributes
    together and (``area_effects``) each area's. Four queries whatever the number of rows
    (plus three for the scorecard when ``scoring`` is not given)."""
    if not assignments:
        return []
    scoring = scoring or scoring_of(organization)
    now = (today - timedelta(days=WINDOW - 1), today)
    agent_ids = {a.agent_id for a in assignments}
    mates, teams = _team_mates(organization, agent_ids)
    windows = {now} | {_windows(a.assigned_date, today)[0] for a in assignments}
    own = _read_rollups(organization, scoring, all_of=agent_ids, windows=windows)
    coachings = []
    for a in assignments:
        keys = tuple(area.attribute_key for area in a.areas.all())
        coachings.append(Coaching(("assignment", a.pk), a.agent_id, a.assigned_date, keys))
        if area_effects:
            coachings.extend(Coaching(("assignment", a.pk, k), a.agent_id, a.assigned_date,
                                      (k,)) for k in keys)
    effects = effects_for(organization, scoring, coachings, today, mates=mates)
    rows = []
    for a in assignments:
        mine = own.get(a.agent_id, {})
        before = _windows(a.assigned_date, today)[0]
        manual_before, auto_before = _scores(mine, before, scoring)
        manual_now, auto_now = _scores(mine, now, scoring)
        areas = [AreaProgress(
            area.attribute_key, area.attribute_name,
            Change(_mean(_series_sums(mine, (area.attribute_key,), before, scoring)),
                   _mean(_series_sums(mine, (area.attribute_key,), now, scoring))),
            effects[("assignment", a.pk, area.attribute_key)].effect if area_effects else None)
            for area in a.areas.all()]
        detail = effects[("assignment", a.pk)]
        rows.append(MonitorRow(a, teams.get(a.agent_id, []), Change(manual_before, manual_now),
                               Change(auto_before, auto_now), areas, detail.effect, detail))
    return rows


def monitor_page(organization: Organization, user: User, filters: MonitorFilters,
                 today: date, page) -> tuple:
    """``(page, rows)``: the page of assignments and its :class:`MonitorRow` list."""
    paginator = Paginator(monitor_assignments(organization, user, filters, today), PAGE_SIZE)
    shown = paginator.get_page(page)
    return shown, monitor_rows(organization, list(shown.object_list), today)


# --- one assignment: agent progress and the effect panel --------------------------------


@dataclass
class ComparisonPoint:
    label: str
    coached: float | None
    comparison: float | None


@dataclass
class Progress:
    row: MonitorRow
    area_effects: list[tuple[AreaProgress, EffectDetail]]


def assignment_progress(organization: Organization, assignment: CoachingAssignment,
                        today: date) -> Progress:
    """One assignment's monitor row with every area's effect in detail."""
    scoring = scoring_of(organization)
    row = monitor_rows(organization, [assignment], today, scoring)[0]
    details = effects_for(organization, scoring, [
        Coaching(("assignment", assignment.pk, area.key), assignment.agent_id,
                 assignment.assigned_date, (area.key,)) for area in row.areas], today)
    for area in row.areas:
        area.effect = details[("assignment", assignment.pk, area.key)].effect
    return Progress(row, [(area, details[("assignment", assignment.pk, area.key)])
                          for area in row.areas])


# --- assessments and aggregates (the coaching overview's card) --------------------------

RECENT_DAYS = 60
MAX_COACHINGS = 200


@dataclass
class EffectGroup:
    kind: str  # "coach", "area" or "team"
    name: str
    effect: did.Effect


def assessment_effects(organization: Organization, assessments: list, today: date,
                       scoring: Scoring | None = None) -> dict:
    """``{assessment id: EffectDetail}`` on the total score (assessments have no
    attribute), from the day the assessment was completed (else opened)."""
    scoring = scoring or scoring_of(organization)
    tz = organization.tzinfo
    coachings = [Coaching(("assessment", a.pk), a.trainee_id,
                          (a.closed_at or a.created_at).astimezone(tz).date(), ())
                 for a in assessments]
    details = effects_for(organization, scoring, coachings, today)
    return {a.pk: details[("assessment", a.pk)] for a in assessments}


def effect_overview(organization: Organization, user: User, today: date) -> dict:
    """The coaching effect per coach, per coaching area and per team over the coaching
    assignments (per area) and completed assessments (total score) of the last
    ``RECENT_DAYS`` days the user supervises (newest ``MAX_COACHINGS`` of each)."""
    from .enums import AssessmentState
    from .selectors import visible_assessments

    since = today - timedelta(days=RECENT_DAYS)
    scoring = scoring_of(organization)
    assignments = list(supervised_assignments(organization, user)
                       .filter(assigned_date__gte=since, assigned_date__lte=today)
                       .select_related("assigner").prefetch_related("areas")
                       .order_by("-assigned_date", "-id")[:MAX_COACHINGS])
    assessments = list(visible_assessments(organization=organization, user=user)
                       .filter(state=AssessmentState.CLOSED_COMPLETE, closed_at__date__gte=since)
                       .exclude(trainee=user).select_related("coach")
                       .order_by("-closed_at", "-id")[:MAX_COACHINGS])
    coachings, labels = [], {}
    for a in assignments:
        coach = str(a.assigner) if a.assigner else "—"
        for area in a.areas.all():
            key = ("assignment", a.pk, area.attribute_key)
            coachings.append(Coaching(key, a.agent_id, a.assigned_date, (area.attribute_key,)))
            labels[key] = (a.agent_id, coach, area.attribute_name)
    tz = organization.tzinfo
    for a in assessments:
        key = ("assessment", a.pk)
        coachings.append(Coaching(key, a.trainee_id, a.closed_at.astimezone(tz).date(), ()))
        labels[key] = (a.trainee_id, str(a.coach) if a.coach else "—", "Overall score")
    agent_ids = {c.agent_id for c in coachings}
    mates, teams = _team_mates(organization, agent_ids) if agent_ids else ({}, {})
    details = effects_for(organization, scoring, coachings, today, mates=mates)
    grouped: dict = defaultdict(list)
    for key, (agent_id, coach, area) in labels.items():
        effect = details[key].effect
        grouped[("coach", coach)].append(effect)
        grouped[("area", area)].append(effect)
        for team in teams.get(agent_id, ["No team"]):
            grouped[("team", team)].append(effect)
    groups = [EffectGroup(kind, name, did.pool(effects))
              for (kind, name), effects in grouped.items()]
    order = {"coach": 0, "area": 1, "team": 2}
    groups.sort(key=lambda g: (order[g.kind], g.name.lower()))
    overall = did.pool([d.effect for d in details.values()])
    return {"groups": groups, "overall": overall, "coachings": len(coachings),
            "since": since, "scorecard": scoring.scorecard}
