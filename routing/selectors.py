"""Read side of routing: the tenant's settings, the ranking of candidates, team load.

The ranking reads skill holdings straight from ``skills.UserSkill`` on every call (no
cache), so a skill awarded a moment ago by any path counts in the very next decision. It
runs a constant number of queries whatever the number of agents, skills or open items.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import CharField, Count, Max, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from skills.models import UserSkill
from skills.models import WorkItemSkill as RequiredSkill
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.selectors import sees_everything, teams_coached_by
from work.enums import OPEN_STATES, WorkKind
from work.models import WorkEvent, WorkItem

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
    item: WorkItem
    settings: RoutingSettings
    candidates: list[Candidate]

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


def _pool(organization: Organization, item: WorkItem, settings: RoutingSettings) -> list[User]:
    agents = Membership.objects.filter(organization=organization, is_agent=True).values("user_id")
    users = User.objects.filter(pk__in=agents, is_active=True)
    if settings.pool == Pool.TEAM:
        if item.team_id is None:
            return []
        users = users.filter(pk__in=TeamMember.objects.filter(team_id=item.team_id)
                             .values("user_id"))
    return list(users.order_by("username"))


def rank_candidates(*, organization: Organization, item: WorkItem) -> Ranking:
    """Rank the agents who could take ``item``: qualified ones first, then by match
    quality, free capacity (per kind) and longest since their last assignment.

    A candidate qualifies when they hold every required skill at or above its minimum
    level (any level when none is given) and have free capacity. Six queries, whatever
    the size of the pool. Raises :class:`RoutingConflict` for a resolved or closed item,
    :class:`RoutingError` for an item requiring unknown or retired skills.
    """
    if item.state not in OPEN_STATES:
        raise RoutingConflict(
            f"{item.label} is {item.get_state_display().lower()}; only open work is routed."
        )
    settings = routing_settings(organization)
    requirements = _requirements(item)
    users = _pool(organization, item, settings)
    user_ids = [u.pk for u in users]
    held: dict[tuple[int, int], int] = {}
    if user_ids and requirements:
        rows = UserSkill.objects.filter(
            organization=organization, user_id__in=user_ids,
            skill_id__in=[r.skill_id for r in requirements],
        ).values_list("user_id", "skill_id", "level__rank")
        held = {(user_id, skill_id): rank for user_id, skill_id, rank in rows}
    open_counts = dict(
        WorkItem.objects.filter(organization=organization, assigned_to_id__in=user_ids,
                                kind=item.kind, state__in=OPEN_STATES)
        .exclude(pk=item.pk)
        .values_list("assigned_to_id").annotate(n=Count("id"))
    ) if user_ids else {}
    by_username = {u.username: u for u in users}
    last_assigned = {
        by_username[name].pk: when for name, when in (
            WorkEvent.objects.filter(organization=organization)
            .annotate(agent=Cast(KT("changes__assigned_to__1"), CharField()))
            .filter(agent__in=list(by_username))
            .values_list("agent").annotate(last=Max("occurred_at"))
        )
    } if users else {}

    capacity = settings.capacity_for(item.kind)
    kind_label = WorkItem(kind=item.kind).get_kind_display().lower()
    candidates = []
    for user in users:
        reasons, surplus, shortfall = [], 0, 0
        for requirement in requirements:
            minimum = requirement.minimum_level.rank if requirement.minimum_level else 1
            rank = held.get((user.pk, requirement.skill_id))
            name = requirement.skill.name
            if rank is None:
                shortfall += minimum
                reasons.append(f"Lacks {name}")
            elif rank < minimum:
                shortfall += minimum - rank
                reasons.append(f"{name} {minimum - rank} level(s) below the minimum")
            else:
                surplus += rank - minimum
                reasons.append(f"{name} at the minimum" if rank == minimum
                               else f"{name} {rank - minimum} level(s) above the minimum")
        open_items = open_counts.get(user.pk, 0)
        reasons.append(f"{open_items} of {capacity} open {kind_label} item(s)")
        last = last_assigned.get(user.pk)
        reasons.append(f"last assigned {last:%Y-%m-%d %H:%M}" if last else "never assigned")
        candidates.append(Candidate(
            user=user, qualified=shortfall == 0 and open_items < capacity, surplus=surplus,
            shortfall=shortfall, open_items=open_items, capacity=capacity,
            last_assigned_at=last, reasons=reasons,
        ))
    candidates.sort(key=_rank_key)
    return Ranking(item=item, settings=settings, candidates=candidates)


def _rank_key(c: Candidate):
    # Qualified first; then better match, more free capacity, longest since last
    # assignment (never assigned first); the username keeps ties stable.
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
    """Open items per agent and kind, for each team (three queries)."""
    members = list(
        TeamMember.objects.filter(team__in=teams).select_related("user")
        .order_by("user__username")
    )
    counts = WorkItem.objects.filter(
        organization=organization, state__in=OPEN_STATES,
        assigned_to_id__in={m.user_id for m in members},
    ).values_list("assigned_to_id", "kind").annotate(n=Count("id"))
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
