"""Read side of routing: the tenant's settings, the ranking of candidates, team load.

The ranking reads skill holdings straight from ``skills.UserSkill`` on every call (no
cache), so a skill awarded a moment ago by any path counts in the very next decision.
Open items per kind and the last assignment come from the per-agent routing state that
ingest keeps in the transaction of every change (:mod:`routing.models`), never from work
history. The database ranks the pool (passed as a subquery, never as a list of ids) and
returns only the top candidates: a constant number of queries, and a cost that grows
with the pool but not with the number of events or items.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from skills.models import Skill, SkillLevel, UserSkill
from skills.models import WorkItemSkill as RequiredSkill
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.selectors import sees_everything, teams_coached_by
from work.enums import OPEN_STATES, WorkKind
from work.models import WorkItem

from .enums import NobodyQualifies, Pool
from .errors import RoutingConflict, RoutingError

SETTINGS_KEY = "routing"
DEFAULT_MAX_OPEN = 5


@dataclass(frozen=True)
class RoutingSettings:
    auto_assign: bool = False
    when_nobody_qualifies: str = NobodyQualifies.FLAG
    pool: str = Pool.TEAM
    max_open: int = DEFAULT_MAX_OPEN  # per agent and kind, unless the kind has its own
    max_open_by_kind: dict[str, int] = field(default_factory=dict)

    def capacity_for(self, kind: str) -> int:
        return self.max_open_by_kind.get(kind, self.max_open)

    def as_json(self) -> dict:
        return {
            "auto_assign": self.auto_assign,
            "when_nobody_qualifies": str(self.when_nobody_qualifies),
            "pool": str(self.pool),
            "max_open": self.max_open,
            "max_open_by_kind": dict(self.max_open_by_kind),
        }


def routing_settings(organization: Organization) -> RoutingSettings:
    """The tenant's routing settings, defaults filled in."""
    raw = (organization.settings or {}).get(SETTINGS_KEY) or {}
    by_kind = {k: int(v) for k, v in (raw.get("max_open_by_kind") or {}).items()
               if k in WorkKind.values}
    return RoutingSettings(
        auto_assign=bool(raw.get("auto_assign", False)),
        when_nobody_qualifies=raw.get("when_nobody_qualifies") or NobodyQualifies.FLAG,
        pool=raw.get("pool") or Pool.TEAM,
        max_open=int(raw.get("max_open") or DEFAULT_MAX_OPEN),
        max_open_by_kind=by_kind,
    )


@dataclass
class Candidate:
    """One agent considered for an item, with everything the ranking used."""

    user: User
    qualified: bool
    surplus: int  # levels above the minimums, summed (match quality)
    shortfall: int  # levels missing to reach the minimums, summed (a missing skill: all)
    open_items: int
    capacity: int
    last_assigned_at: datetime | None
    reasons: list[str]

    @property
    def free(self) -> int:
        return self.capacity - self.open_items

    @property
    def score(self) -> float:
        """Match quality: levels above the minimums when qualified, minus the levels
        missing otherwise (so 0.0 is an exact match and negatives are partial)."""
        return float(self.surplus) if self.shortfall == 0 else float(-self.shortfall)

    def as_json(self) -> dict:
        return {"agent": self.user.username, "score": self.score, "qualified": self.qualified,
                "reasons": list(self.reasons)}


@dataclass
class Ranking:
    """The best candidates for ``item`` in rank order (see :func:`rank_candidates`), out
    of ``considered`` agents in the pool."""

    item: WorkItem
    settings: RoutingSettings
    candidates: list[Candidate]
    considered: int = 0

    @property
    def qualified(self) -> list[Candidate]:
        return [c for c in self.candidates if c.qualified]

    def as_json(self) -> list[dict]:
        return [c.as_json() for c in self.candidates]


def _requirement_errors(item: WorkItem, requirements: list[tuple[int, str, int, bool]],
                        requested: list[str]) -> RoutingError | None:
    """Unknown (not in the catalogue) or retired required skills, as an error to raise."""
    linked_names = {name.lower() for _skill_id, name, _minimum, _active in requirements}
    unknown = sorted(name for name in requested
                     if " ".join(name.split()).lower() not in linked_names)
    if unknown:
        return RoutingError(
            f"{item.label} requires skills that are not in the catalogue: {', '.join(unknown)}. "
            "Add them under Skills, or correct the item."
        )
    retired = [name for _skill_id, name, _minimum, active in requirements if not active]
    if retired:
        return RoutingError(
            f"{item.label} requires retired skills: {', '.join(retired)}. Reactivate them or "
            "change the item's requirements."
        )
    return None


SHOWN = 10  # candidates a ranking returns (plus the best one with free capacity)
_USER_COLUMNS = [f.column for f in User._meta.concrete_fields]
_USER_ATTNAMES = [f.attname for f in User._meta.concrete_fields]
# Rows of the ranking statement, by their first column.
REQUIREMENT, REQUESTED, CANDIDATE, HELD = "1", "2", "3", "4"
RANKING_FUNCTION = "routing_rank_candidates"
# The function's arguments, in order, with their PostgreSQL types.
_FUNCTION_ARGUMENTS = (("org", "bigint"), ("item", "bigint"), ("kind", "text"),
                       ("team", "bigint"), ("whole_organization", "boolean"),
                       ("capacity", "integer"), ("shown", "integer"), ("include", "bigint"))
# Its rows: what the ranking's query returns, cast to fixed types.
_FUNCTION_COLUMNS = (("row_kind", "text"), ("rank_position", "bigint"), ("id", "bigint"),
                     ("name", "text"), ("value", "integer"), ("active", "boolean"),
                     ("shortfall", "bigint"), ("surplus", "bigint"),
                     ("last_assigned_at", "timestamptz"), ("considered", "bigint"))


def _ranking_rows_sql(*, whole_organization: bool, param, open_states: str) -> str:
    """The query that ranks a pool: the rows of one decision but the agents' user rows.

    It reads the item's requirements (``req``: skill, name, minimum rank, active) and
    scores every agent of the pool against them without knowing how many there are: per
    agent one pass over ``UserSkill`` sums the minimums of the required skills held, the
    levels missing to them and the levels above them, so the shortfall is the sum of all
    minimums less what the held skills cover. Open items of the item's kind and the last
    assignment come from the routing state (never from work history). The pool (active
    agents of the organization, of the item's team unless the pool is the whole
    organization) is a subquery. Agents are ranked as :func:`_rank_key` orders; the first
    :data:`SHOWN`, the best one with free capacity wherever it ranks (the best partial
    match) and ``include`` come back.

    Four kinds of rows (``row_kind``), with the columns of :data:`_FUNCTION_COLUMNS`:
    the requirements (``rank_position`` by skill name, as the ORM orders them; skill in ``id``,
    minimum rank in ``value``), the skill names the item requested (to find unknown ones),
    the candidates (``rank_position`` is the rank; agent in ``id``, open items in ``value``,
    ``considered`` the pool's size) and the candidates' levels of the required skills
    (agent in ``rank_position``, skill in ``id``, rank in ``value``). ``param(name)`` writes a
    parameter; ``open_states`` is the test for an open item's ``w.state``.
    """
    from work.models import RequestedSkill

    from .models import AgentOpenItems, AgentRoutingState

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    org, item, kind = param("org"), param("item"), param("kind")
    team = ("" if whole_organization else
            f" AND u.id IN (SELECT tm.user_id FROM {table(TeamMember)} tm"  # noqa: S608 (names from the models, values bound)
            f" WHERE tm.organization_id = {org} AND tm.team_id = {param('team')})")
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    capacity = param("capacity")
    # _rank_key in SQL: qualified first; better match; more free capacity; longest since
    # the last assignment (never first); username by code point, as Python compares.
    order = (f"CASE WHEN shortfall = 0 AND open_items < {capacity} THEN 0 ELSE 1 END,"
             " shortfall, surplus DESC, open_items,"
             " CASE WHEN last_assigned_at IS NULL THEN 0 ELSE 1 END, last_assigned_at,"
             f" username{collate}")
    return (
        # The item's requirements, numbered by skill name.
        "WITH req AS (SELECT r.skill_id, s.name, s.active, COALESCE(lv.rank, 1) AS minimum,"  # noqa: S608 (names from the models, values bound)
        " ROW_NUMBER() OVER (ORDER BY s.name) AS rank_position"
        f" FROM {table(RequiredSkill)} r JOIN {table(Skill)} s ON s.id = r.skill_id"
        f" LEFT JOIN {table(SkillLevel)} lv ON lv.id = r.minimum_level_id"
        f" WHERE r.organization_id = {org} AND r.work_item_id = {item})"
        f", pool AS (SELECT u.id, u.username FROM {table(User)} u WHERE u.is_active"
        f" AND u.id IN (SELECT m.user_id FROM {table(Membership)} m"
        f" WHERE m.organization_id = {org} AND m.is_agent){team})"
        # Per agent: the minimums of the required skills they hold, the levels missing to
        # reach them and the levels above them.
        ", held AS (SELECT us.user_id, SUM(req.minimum) AS minimums,"
        " SUM(CASE WHEN lv.rank < req.minimum THEN req.minimum - lv.rank ELSE 0 END) AS short,"
        " SUM(CASE WHEN lv.rank > req.minimum THEN lv.rank - req.minimum ELSE 0 END) AS surplus"
        f" FROM {table(UserSkill)} us JOIN req ON req.skill_id = us.skill_id"
        f" JOIN {table(SkillLevel)} lv ON lv.id = us.level_id"
        f" WHERE us.organization_id = {org} GROUP BY us.user_id)"
        # The routing state of the organization's agents, read once each (a hash join;
        # the planner would probe the state per agent otherwise).
        ", open AS MATERIALIZED (SELECT o.user_id, o.open_items"
        f" FROM {table(AgentOpenItems)} o WHERE o.organization_id = {org} AND o.kind = {kind})"
        ", last AS MATERIALIZED (SELECT s.user_id, s.last_assigned_at"
        f" FROM {table(AgentRoutingState)} s WHERE s.organization_id = {org})"
        # The item itself counts in its assignee's open items; it is not other work for them.
        ", scored AS (SELECT p.id, p.username, (SELECT COALESCE(SUM(req.minimum), 0) FROM req)"
        " - COALESCE(h.minimums, 0) + COALESCE(h.short, 0) AS shortfall,"
        " COALESCE(h.surplus, 0) AS surplus,"
        " COALESCE(o.open_items, 0) - CASE WHEN itself.user_id IS NULL THEN 0 ELSE 1 END"
        " AS open_items, s.last_assigned_at FROM pool p LEFT JOIN held h ON h.user_id = p.id"
        " LEFT JOIN open o ON o.user_id = p.id LEFT JOIN last s ON s.user_id = p.id"
        f" LEFT JOIN (SELECT w.assigned_to_id AS user_id FROM {table(WorkItem)} w"
        f" WHERE w.organization_id = {org} AND w.id = {item} AND w.kind = {kind}"
        f" AND {open_states}) itself ON itself.user_id = p.id)"
        # The first SHOWN in rank order, the best one with free capacity and the coach's
        # pick: two top-N passes, not a sort of the whole pool. Ranked among themselves.
        f", best AS (SELECT * FROM scored ORDER BY {order} LIMIT {param('shown')})"
        f", room AS (SELECT * FROM scored WHERE open_items < {capacity} ORDER BY {order}"
        " LIMIT 1)"
        ", chosen AS (SELECT * FROM best UNION SELECT * FROM room"
        f" UNION SELECT * FROM scored WHERE id = {param('include')})"
        f", top AS (SELECT chosen.*, ROW_NUMBER() OVER (ORDER BY {order}) AS rank_position,"
        " (SELECT COUNT(*) FROM scored) AS considered FROM chosen)"
        # The first branch types the columns (PostgreSQL resolves a UNION from the left).
        f" SELECT '{CANDIDATE}' AS row_kind, top.rank_position, top.id, NULL AS name,"
        " top.open_items AS value, NULL AS active, top.shortfall, top.surplus,"
        " top.last_assigned_at, top.considered FROM top"
        f" UNION ALL SELECT '{REQUIREMENT}', req.rank_position, req.skill_id, req.name,"
        " req.minimum, req.active, NULL, NULL, NULL, NULL FROM req"
        f" UNION ALL SELECT '{REQUESTED}', 0, NULL, rs.skill_name, NULL, NULL, NULL, NULL,"
        f" NULL, NULL FROM {table(RequestedSkill)} rs"
        f" WHERE rs.organization_id = {org} AND rs.work_item_id = {item}"
        f" UNION ALL SELECT '{HELD}', top.id, us.skill_id, NULL, lv.rank, NULL, NULL, NULL,"
        f" NULL, NULL FROM top JOIN {table(UserSkill)} us"
        f" ON us.organization_id = {org} AND us.user_id = top.id"
        " JOIN req ON req.skill_id = us.skill_id"
        f" JOIN {table(SkillLevel)} lv ON lv.id = us.level_id"
    )


def _with_users(rows: str) -> str:
    """The ranking's rows in order, each candidate with its user row (``u_<column>``)."""
    user_columns = ", ".join(f"u.{connection.ops.quote_name(column)} AS u_{column}"
                             for column in _USER_COLUMNS)
    return (f"SELECT f.*, {user_columns} FROM {rows} f"  # noqa: S608 (names from the models, values bound)
            f" LEFT JOIN {connection.ops.quote_name(User._meta.db_table)} u"
            f" ON f.row_kind = '{CANDIDATE}' AND u.id = f.id ORDER BY 1, 2")


def _ranking_sql(*, whole_organization: bool, function: bool) -> str:
    """The one statement a decision runs, with named parameters.

    On PostgreSQL it calls :data:`RANKING_FUNCTION` (:func:`ranking_function_sql`), whose
    plans the database keeps for the session: the statement it plans per decision is a
    function call and a join by key. Elsewhere (SQLite) the same query is a subquery.
    """
    if function:
        arguments = ", ".join(f"%({name})s" for name, _type in _FUNCTION_ARGUMENTS)
        return _with_users(f"{RANKING_FUNCTION}({arguments})")
    states = ", ".join(f"%(state{n})s" for n in range(len(OPEN_STATES)))
    rows = _ranking_rows_sql(whole_organization=whole_organization,
                             param=lambda name: f"%({name})s", open_states=f"w.state IN ({states})")
    return _with_users(f"({rows})")


def ranking_function_sql() -> str:
    """``CREATE FUNCTION`` for the ranking on PostgreSQL (installed after every ``migrate``,
    :func:`routing.services.install_ranking_function`): PL/pgSQL, so the session keeps the
    plans of its two queries (a team's pool, the organization's) instead of planning the
    ranking for every decision. It runs as the caller: row-level security applies."""
    states = "ARRAY[" + ", ".join(f"'{state}'" for state in sorted(OPEN_STATES)) + "]"
    columns = ", ".join(f"b.{name}::{type_}" for name, type_ in _FUNCTION_COLUMNS)

    def query(whole_organization: bool) -> str:
        rows = _ranking_rows_sql(whole_organization=whole_organization,
                                 param=lambda name: f"p_{name}",
                                 open_states=f"w.state = ANY ({states}::text[])")
        return f"RETURN QUERY SELECT {columns} FROM ({rows}) b;"  # noqa: S608 (names from the code)

    arguments = ", ".join(f"p_{name} {type_}" for name, type_ in _FUNCTION_ARGUMENTS)
    returns = ", ".join(f"{name} {type_}" for name, type_ in _FUNCTION_COLUMNS)
    return (
        f"CREATE FUNCTION {RANKING_FUNCTION}({arguments}) RETURNS TABLE ({returns})"
        " LANGUAGE plpgsql STABLE AS $ranking$\n#variable_conflict use_column\nBEGIN\n"
        f"IF p_whole_organization THEN\n{query(True)}\nELSE\n{query(False)}\nEND IF;\n"
        "END\n$ranking$"
    )


def rank_candidates(*, organization: Organization, item: WorkItem,
                    include: User | None = None) -> Ranking:
    """Rank the agents who could take ``item``: qualified ones first, then by match
    quality, free capacity (per kind) and longest since their last assignment.

    A candidate qualifies when they hold every required skill at or above its minimum
    level (any level when none is given) and have free capacity. The database ranks the
    whole pool and returns the best :data:`SHOWN` with their reasons, plus the best
    candidate with free capacity (the partial match routing falls back to) and
    ``include`` (an agent a coach picked) wherever they rank; ``Ranking.considered`` is
    the pool's size. Open items and last assignments come from the routing state kept by
    ingest, so the cost does not grow with work history: one query (:func:`_ranking_sql`),
    whatever the size of the pool or the history. Raises :class:`RoutingConflict` for a
    resolved or closed item, :class:`RoutingError` for an item requiring unknown or
    retired skills.
    """
    return _rank(organization, item, include, in_function=connection.vendor == "postgresql")


def _rank(organization: Organization, item: WorkItem, include: User | None, *,
          in_function: bool) -> Ranking:
    """:func:`rank_candidates`, through the PostgreSQL function or the plain statement."""
    if item.state not in OPEN_STATES:
        raise RoutingConflict(
            f"{item.label} is {item.get_state_display().lower()}; only open work is routed."
        )
    settings = routing_settings(organization)
    capacity = settings.capacity_for(item.kind)
    whole_organization = settings.pool != Pool.TEAM
    params = {"org": organization.pk, "item": item.pk, "kind": item.kind,
              "team": item.team_id, "capacity": capacity, "shown": SHOWN,
              "include": include.pk if include is not None else None}
    if in_function:
        params["whole_organization"] = whole_organization
    else:
        params.update((f"state{n}", state) for n, state in enumerate(sorted(OPEN_STATES)))
    with connection.cursor() as cursor:
        cursor.execute(_ranking_sql(whole_organization=whole_organization,
                                    function=in_function), params)
        rows = cursor.fetchall()

    requirements, requested, ranked, held = [], [], [], {}
    for row in rows:
        row_kind = row[0]
        if row_kind == REQUIREMENT:
            requirements.append((row[2], row[3], row[4], bool(row[5])))
        elif row_kind == REQUESTED:
            requested.append(row[3])
        elif row_kind == CANDIDATE:
            ranked.append(row)
        else:
            held[row[1], row[2]] = row[4]
    error = _requirement_errors(item, requirements, requested)
    if error is not None:
        raise error
    if not whole_organization and item.team_id is None:
        return Ranking(item=item, settings=settings, candidates=[], considered=0)

    kind_label = WorkItem(kind=item.kind).get_kind_display().lower()
    candidates = []
    converters = _user_converters() if ranked else []
    for row in ranked:
        user_id, open_items, shortfall, surplus, last = row[2], row[4], row[6], row[7], row[8]
        reasons = []
        for skill_id, name, minimum, _active in requirements:
            rank = held.get((user_id, skill_id))
            if rank is None:
                reasons.append(f"Lacks {name}")
            elif rank < minimum:
                reasons.append(f"{name} {minimum - rank} level(s) below the minimum")
            else:
                reasons.append(f"{name} at the minimum" if rank == minimum
                               else f"{name} {rank - minimum} level(s) above the minimum")
        reasons.append(f"{open_items} of {capacity} open {kind_label} item(s)")
        if last is not None and not isinstance(last, datetime):  # SQLite returns text
            last = parse_datetime(last)
        if last is not None and timezone.is_naive(last):
            last = timezone.make_aware(last, UTC)
        reasons.append(f"last assigned {last:%Y-%m-%d %H:%M}" if last else "never assigned")
        user = _user_from_row(row[10:], converters)
        candidates.append(Candidate(
            user=user, qualified=shortfall == 0 and open_items < capacity,
            surplus=surplus, shortfall=shortfall, open_items=open_items,
            capacity=capacity, last_assigned_at=last, reasons=reasons,
        ))
    considered = ranked[0][9] if ranked else 0
    return Ranking(item=item, settings=settings, candidates=candidates, considered=considered)


def _user_converters() -> list[tuple]:
    """Per user column, what the ORM would apply to its value (SQLite returns dates and
    times as text to a plain cursor)."""
    columns = []
    for user_field in User._meta.concrete_fields:
        column = user_field.get_col(User._meta.db_table)
        columns.append((column, connection.ops.get_db_converters(column)
                        + user_field.get_db_converters(connection)))
    return columns


def _user_from_row(values, converters: list[tuple]) -> User:
    """A candidate's user from the ``u_<column>`` values of its row."""
    converted = []
    for value, (column, functions) in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        converted.append(value)
    return User.from_db(connection.alias, _USER_ATTNAMES, converted)


def _rank_key(c: Candidate):
    # Qualified first; then better match, more free capacity, longest since last
    # assignment (never assigned first); the username keeps ties stable. The ranking
    # statement (_ranking_sql) orders by the same.
    return (not c.qualified, c.shortfall, -c.surplus, -c.free,
            c.last_assigned_at is not None, c.last_assigned_at or datetime.min,
            c.user.username)


def work_item_for_routing(organization: Organization, external_id: str) -> WorkItem:
    """The item by external ID with what routing reads; ``WorkItem.DoesNotExist`` otherwise."""
    return WorkItem.objects.select_related("team", "assigned_to").get(
        organization=organization, external_id=external_id
    )


def latest_decision(item: WorkItem):
    from .models import RoutingDecision

    return (RoutingDecision.objects.filter(work_item=item)
            .select_related("assigned_to", "actor").first())


@dataclass
class AgentLoad:
    user: User
    by_kind: dict[str, int]
    total: int


@dataclass
class TeamLoad:
    team: Team
    agents: list[AgentLoad]


def teams_for_load(organization: Organization, viewer: User) -> QuerySet[Team]:
    """The teams whose load the viewer sees: every team for org admins, otherwise the
    teams they coach."""
    teams = Team.objects.filter(organization=organization)
    if not sees_everything(organization, viewer):
        teams = teams_coached_by(organization, viewer)
    return teams.select_related("manager").order_by("name")


def team_load(organization: Organization, teams: list[Team]) -> list[TeamLoad]:
    """Open items per agent and kind, for each team (two queries). The counts are the ones
    routing keeps per agent and kind (:class:`~routing.models.AgentOpenItems`, moved with
    every ingest write), not a count over the work items, which grows with history."""
    from .models import AgentOpenItems

    members = list(
        TeamMember.objects.filter(team__in=teams).select_related("user")
        .order_by("user__username")
    )
    counts = AgentOpenItems.objects.filter(
        organization=organization, open_items__gt=0,
        user_id__in={m.user_id for m in members},
    ).order_by("kind").values_list("user_id", "kind", "open_items")
    by_user: dict[int, dict[str, int]] = {}
    for user_id, kind, n in counts:
        by_user.setdefault(user_id, {})[kind] = n
    result = []
    for team in teams:
        agents = [
            AgentLoad(m.user, by_user.get(m.user_id, {}), sum(by_user.get(m.user_id, {}).values()))
            for m in members if m.team_id == team.pk
        ]
        result.append(TeamLoad(team, agents))
    return result
