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

from skills.models import SkillLevel, UserSkill
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


def _requirements(item: WorkItem) -> list[RequiredSkill]:
    """The item's required skills; refuse unknown (not in the catalogue) or retired ones."""
    linked = list(
        RequiredSkill.objects.filter(work_item=item).select_related("skill", "minimum_level")
        .order_by("skill__name")
    )
    linked_names = {r.skill.name.lower() for r in linked}
    unknown = sorted(
        name for name in item.requested_skills.values_list("skill_name", flat=True)
        if " ".join(name.split()).lower() not in linked_names
    )
    if unknown:
        raise RoutingError(
            f"{item.label} requires skills that are not in the catalogue: {', '.join(unknown)}. "
            "Add them under Skills, or correct the item."
        )
    retired = [r.skill.name for r in linked if not r.skill.active]
    if retired:
        raise RoutingError(
            f"{item.label} requires retired skills: {', '.join(retired)}. Reactivate them or "
            "change the item's requirements."
        )
    return linked


SHOWN = 10  # candidates a ranking returns (plus the best one with free capacity)
_USER_COLUMNS = [f.column for f in User._meta.concrete_fields]


def _ranking_sql(organization: Organization, item: WorkItem, settings: RoutingSettings,
                 requirements: list[RequiredSkill], include: User | None) -> tuple[str, list]:
    """One statement that scores every agent of the pool and returns the top ones.

    The pool (active agents of the organization, of the item's team unless the pool is
    the whole organization) is a subquery; each agent's level per required skill comes
    from one pass over ``UserSkill`` (``held0``, ``held1``…), their open items of the
    item's kind and last assignment from the routing state (never from work history).
    Rows come back in rank order (:func:`_rank_key`): the first :data:`SHOWN`, the best
    one with free capacity wherever it ranks (the best partial match), and ``include``;
    each carries ``considered``, the pool's size.
    """
    from .models import AgentOpenItems, AgentRoutingState

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    org = organization.pk
    capacity = settings.capacity_for(item.kind)
    placeholders = ", ".join(["%s"] * len(OPEN_STATES))
    sql = [f"WITH pool AS (SELECT u.id, u.username FROM {table(User)} u WHERE u.is_active"  # noqa: S608 (names from the models, values bound)
           f" AND u.id IN (SELECT m.user_id FROM {table(Membership)} m"
           " WHERE m.organization_id = %s AND m.is_agent)"]
    params: list = [org]
    if settings.pool == Pool.TEAM:
        sql.append(f" AND u.id IN (SELECT tm.user_id FROM {table(TeamMember)} tm"  # noqa: S608 (names from the models, values bound)
                   " WHERE tm.organization_id = %s AND tm.team_id = %s)")
        params += [org, item.team_id]
    sql.append(")")
    held = [f"h.held{n}" for n in range(len(requirements))]
    if requirements:
        sql.append(", held AS (SELECT us.user_id, "  # noqa: S608 (names from the models, values bound)
                   + ", ".join(f"MAX(CASE WHEN us.skill_id = %s THEN lv.rank END) AS held{n}"
                               for n in range(len(requirements)))
                   + f" FROM {table(UserSkill)} us JOIN {table(SkillLevel)} lv"
                   " ON lv.id = us.level_id WHERE us.organization_id = %s AND us.skill_id IN ("
                   + ", ".join(["%s"] * len(requirements)) + ") GROUP BY us.user_id)")
        params += [r.skill_id for r in requirements] + [org] + [r.skill_id for r in requirements]
    shortfall, surplus = ["0"], ["0"]
    for n, requirement in enumerate(requirements):
        minimum = int(requirement.minimum_level.rank if requirement.minimum_level else 1)
        shortfall.append(f"CASE WHEN h.held{n} IS NULL THEN {minimum} WHEN h.held{n} < {minimum}"
                         f" THEN {minimum} - h.held{n} ELSE 0 END")
        surplus.append(f"CASE WHEN h.held{n} > {minimum} THEN h.held{n} - {minimum} ELSE 0 END")
    # The item itself counts in its assignee's open items; it is not other work for them.
    sql.append(
        ", scored AS (SELECT p.id, p.username, "  # noqa: S608 (names from the models, values bound)
        + "".join(f"{column}, " for column in held)
        + f"{' + '.join(shortfall)} AS shortfall, {' + '.join(surplus)} AS surplus,"
        " COALESCE(o.open_items, 0) - CASE WHEN itself.user_id IS NULL THEN 0 ELSE 1 END"
        " AS open_items, s.last_assigned_at FROM pool p"
        + (" LEFT JOIN held h ON h.user_id = p.id" if requirements else "")
        + f" LEFT JOIN {table(AgentOpenItems)} o ON o.organization_id = %s"  # noqa: S608 (names from the models, values bound)
        " AND o.user_id = p.id AND o.kind = %s"
        f" LEFT JOIN {table(AgentRoutingState)} s ON s.organization_id = %s AND s.user_id = p.id"
        f" LEFT JOIN (SELECT w.assigned_to_id AS user_id FROM {table(WorkItem)} w"
        " WHERE w.organization_id = %s AND w.id = %s AND w.kind = %s"
        f" AND w.state IN ({placeholders})) itself ON itself.user_id = p.id)"
    )
    params += [org, item.kind, org, org, item.pk, item.kind, *sorted(OPEN_STATES)]
    # _rank_key in SQL: qualified first; better match; more free capacity; longest since
    # the last assignment (never first); username by code point, as Python compares.
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql.append(
        ", ranked AS (SELECT scored.*, ROW_NUMBER() OVER (ORDER BY"  # noqa: S608 (names from the models, values bound)
        " CASE WHEN shortfall = 0 AND open_items < %s THEN 0 ELSE 1 END, shortfall,"
        " surplus DESC, open_items, CASE WHEN last_assigned_at IS NULL THEN 0 ELSE 1 END,"
        f" last_assigned_at, username{collate}) AS rank_position,"
        " COUNT(*) OVER () AS considered FROM scored)"
        ", marked AS (SELECT ranked.*, MIN(CASE WHEN open_items < %s THEN rank_position END)"
        " OVER () AS best_with_room FROM ranked)"
        # The returned agents' user rows come along (as u_<column>), not in another query.
        " SELECT marked.*, " + ", ".join(f"u.{connection.ops.quote_name(column)} AS u_{column}"
                                          for column in _USER_COLUMNS)
        + f" FROM marked JOIN {table(User)} u ON u.id = marked.id"
        " WHERE rank_position <= %s OR rank_position = best_with_room"
        " OR marked.id = %s ORDER BY rank_position"
    )
    params += [capacity, capacity, SHOWN, include.pk if include is not None else None]
    return "".join(sql), params


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
    ingest, so the cost does not grow with work history: three queries, whatever the size
    of the pool or the history. Raises :class:`RoutingConflict` for a resolved or closed
    item, :class:`RoutingError` for an item requiring unknown or retired skills.
    """
    if item.state not in OPEN_STATES:
        raise RoutingConflict(
            f"{item.label} is {item.get_state_display().lower()}; only open work is routed."
        )
    settings = routing_settings(organization)
    requirements = _requirements(item)
    if settings.pool == Pool.TEAM and item.team_id is None:
        return Ranking(item=item, settings=settings, candidates=[], considered=0)
    sql, params = _ranking_sql(organization, item, settings, requirements, include)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name if hasattr(column, "name") else column[0]
                   for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    users = {row["id"]: User.from_db(connection.alias, [f.attname for f in
                                                        User._meta.concrete_fields],
                                     [row[f"u_{column}"] for column in _USER_COLUMNS])
             for row in rows}

    capacity = settings.capacity_for(item.kind)
    kind_label = WorkItem(kind=item.kind).get_kind_display().lower()
    candidates = []
    for row in rows:
        reasons = []
        for n, requirement in enumerate(requirements):
            minimum = requirement.minimum_level.rank if requirement.minimum_level else 1
            rank = row[f"held{n}"]
            name = requirement.skill.name
            if rank is None:
                reasons.append(f"Lacks {name}")
            elif rank < minimum:
                reasons.append(f"{name} {minimum - rank} level(s) below the minimum")
            else:
                reasons.append(f"{name} at the minimum" if rank == minimum
                               else f"{name} {rank - minimum} level(s) above the minimum")
        open_items, shortfall = row["open_items"], row["shortfall"]
        reasons.append(f"{open_items} of {capacity} open {kind_label} item(s)")
        last = row["last_assigned_at"]
        if last is not None and not isinstance(last, datetime):  # SQLite returns text
            last = parse_datetime(last)
        if last is not None and timezone.is_naive(last):
            last = timezone.make_aware(last, UTC)
        reasons.append(f"last assigned {last:%Y-%m-%d %H:%M}" if last else "never assigned")
        candidates.append(Candidate(
            user=users[row["id"]], qualified=shortfall == 0 and open_items < capacity,
            surplus=row["surplus"], shortfall=shortfall, open_items=open_items,
            capacity=capacity, last_assigned_at=last, reasons=reasons,
        ))
    considered = rows[0]["considered"] if rows else 0
    return Ranking(item=item, settings=settings, candidates=candidates, considered=considered)


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
