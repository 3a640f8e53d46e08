"""The coaching backlog: every open coaching item of a tenant in one list, with an SLA per
kind, each coach's load against their capacity, and "coaching on time" per team.

Six kinds of item, each read with one query (no UNION: the kinds share no columns worth
a database union, and a per-kind ``LIMIT`` keeps the merge cheap), merged and sorted in
Python — overdue first, then by the nearest deadline. A kind's query is capped at
:data:`KIND_CAP` rows (oldest first) and carries the full count in a window, so the page
says when a kind was cut. The query count is constant, whatever the number of items.

The tenant settings live in ``Organization.settings["coaching"]["backlog"]``; reading them
is here (the overview and the trigger pipeline need them too), writing them is
:mod:`coaching.services.backlog`.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Window
from django.urls import reverse
from django.utils import timezone

from quality.models import Dispute
from skills.enums import RecommendationState, ReviewState
from skills.models import SkillRecommendation, SkillReview
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.selectors import coachable_agents, membership_for, sees_everything, teams_coached_by

from .enums import OPEN_STATES, AssessmentState
from .models import (
    PLAN_RUNNING,
    AssignmentStatus,
    CoachingAssessment,
    CoachingAssignment,
    CoachingPlan,
    PlanStatus,
)

KIND_CAP = 500
ON_TIME_DAYS = 90
CAPACITY_DAYS = 30


# --- the kinds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of coaching item is read: its agent, owner, start, due date, when it
    is open and when done, and the page that opens it."""

    key: str
    label: str
    model: type
    agent: str  # the field path to the agent (a user)
    owner: str | None  # the user who works on it (None: any coach of the agent decides)
    start: str  # when the clock starts
    due: str | None  # the item's own due date (a date or a datetime field), if any
    open: Q
    done: Q
    done_at: str
    url: str
    related: tuple[str, ...]
    heavy: tuple[str, ...] = ()  # columns the list never shows, left unread

    def title(self, obj) -> str:
        if self.key == "assessment":
            return obj.opportunity.name if obj.opportunity_id else "Manual assessment"
        if self.key == "assignment":
            return obj.name
        if self.key == "plan":
            return f"Plan: {obj.attribute_name}"
        if self.key == "dispute":
            return f"Dispute round {obj.round} of {obj.evaluation.interaction.label}"
        if self.key == "skill_review":
            return f"{obj.skill.name} at {obj.level.name}"
        return f"{obj.skill.name} (recommended)"


KINDS: tuple[Kind, ...] = (
    Kind("assessment", "Assessment", CoachingAssessment, "trainee", "coach", "created_at",
         "due_date", Q(state__in=[s.value for s in OPEN_STATES], virtual_coach__isnull=True),
         Q(state=AssessmentState.CLOSED_COMPLETE), "closed_at", "coaching:detail",
         ("trainee", "coach", "opportunity")),
    Kind("assignment", "Coaching assignment", CoachingAssignment, "agent", "assigner",
         "created_at", "follow_up_date",
         Q(status__in=[AssignmentStatus.NOT_STARTED, AssignmentStatus.IN_PROGRESS]),
         Q(status=AssignmentStatus.COMPLETED), "completed_at", "coaching:assignment_detail",
         ("agent", "assigner")),
    Kind("plan", "Coaching plan", CoachingPlan, "agent", "manager", "sent_at", "target_date",
         Q(status__in=list(PLAN_RUNNING), deleted_at__isnull=True, sent_at__isnull=False),
         Q(status__in=[PlanStatus.IMPROVEMENT, PlanStatus.ACTION_REQUIRED],
           deleted_at__isnull=True, sent_at__isnull=False),
         "decided_at", "coaching:plan_detail", ("agent", "manager")),
    Kind("dispute", "Dispute", Dispute, "evaluation__agent", "reviewer", "raised_at", "due_at",
         Q(decided_at__isnull=True), Q(decided_at__isnull=False), "decided_at",
         "quality:dispute_review", ("evaluation__agent", "evaluation__interaction", "reviewer")),
    Kind("skill_review", "Skill self-review", SkillReview, "user", None, "created_at", None,
         Q(state=ReviewState.REQUESTED),
         Q(state__in=[ReviewState.APPROVED, ReviewState.REJECTED]), "decided_at",
         "skills:review_detail", ("user", "skill", "level")),
    Kind("recommendation", "Skill recommendation", SkillRecommendation, "user", None,
         "created_at", None, Q(state=RecommendationState.PENDING),
         Q(state__in=[RecommendationState.APPROVED, RecommendationState.REJECTED]),
         "decided_at", "skills:recommendation_detail", ("user", "skill"),
         ("evidence", "decision_comment")),
)
KINDS_BY_KEY = {k.key: k for k in KINDS}
KIND_CHOICES = [(k.key, k.label) for k in KINDS]
OWNED_KINDS = tuple(k for k in KINDS if k.owner)


def _get(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


# --- the tenant settings ---------------------------------------------------------------

# Hours from the start of an item to its service level, per kind.
DEFAULT_SLA_HOURS = {
    "assessment": 120, "assignment": 168, "plan": 336, "dispute": 48,
    "skill_review": 72, "recommendation": 120,
}
SLA_HOURS_BOUNDS = (1, 24 * 90)
DEFAULT_CAPACITY = 25
CAPACITY_BOUNDS = (1, 500)


@dataclass(frozen=True)
class BacklogSettings:
    sla_hours: dict[str, int]
    capacity: int
    capacity_overrides: dict[int, int]  # coach user id → their maximum

    def capacity_of(self, user_id: int) -> int:
        return self.capacity_overrides.get(user_id, self.capacity)

    def sla(self, kind: str) -> timedelta:
        return timedelta(hours=self.sla_hours[kind])


def _bounded(value, bounds: tuple[int, int], default: int) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return default
    return value


def backlog_settings(organization: Organization) -> BacklogSettings:
    """The tenant's SLAs and capacities; a missing or broken value reads as its default."""
    stored = ((organization.settings or {}).get("coaching") or {}).get("backlog") or {}
    hours = stored.get("sla_hours") or {}
    overrides = {}
    for key, value in (stored.get("capacity_overrides") or {}).items():
        if str(key).isdigit() and _bounded(value, CAPACITY_BOUNDS, 0):
            overrides[int(key)] = value
    return BacklogSettings(
        sla_hours={kind: _bounded(hours.get(kind), SLA_HOURS_BOUNDS, default)
                   for kind, default in DEFAULT_SLA_HOURS.items()},
        capacity=_bounded(stored.get("capacity"), CAPACITY_BOUNDS, DEFAULT_CAPACITY),
        capacity_overrides=overrides,
    )


# --- the list --------------------------------------------------------------------------


@dataclass
class BacklogItem:
    """One open item. In :func:`backlog` only what sorts it is read for every item; ``obj``,
    ``agent`` and ``owner`` are loaded for the items shown (:func:`load_shown`)."""

    kind: Kind
    pk: int
    obj: object | None
    agent: User | None
    owner: User | None
    started_at: datetime
    due: date | None
    sla_at: datetime
    deadline: datetime  # the earlier of the SLA and the end of the due date
    overdue: bool
    age: timedelta
    org_slug: str

    @property
    def url(self) -> str:
        # Reversed when shown: a page shows 50 of up to 3,000 items, and reversing every
        # one cost more than reading them.
        return reverse(self.kind.url, kwargs={"org_slug": self.org_slug, "pk": self.pk})

    @property
    def title(self) -> str:
        return self.kind.title(self.obj)

    @property
    def age_label(self) -> str:
        return duration_label(self.age)

    @property
    def claimable(self) -> bool:
        """An unassigned assessment (the page offers Claim / Assign on it)."""
        return self.kind.key == "assessment" and self.owner is None


def duration_label(value: timedelta) -> str:
    hours = int(value.total_seconds() // 3600)
    if hours < 24:
        return f"{max(hours, 0)} h"
    days, rest = divmod(hours, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def _item(kind: Kind, obj, organization: Organization, settings: BacklogSettings,
          now: datetime, today: date) -> BacklogItem:
    item = _item_of_keys(kind, obj.pk, _get(obj, kind.start),
                         _get(obj, kind.due) if kind.due else None,
                         organization, settings, now, today)
    _show(item, obj)
    return item


def _show(item: BacklogItem, obj) -> None:
    item.obj = obj
    item.agent = _get(obj, item.kind.agent)
    item.owner = _get(obj, item.kind.owner) if item.kind.owner else None


def _item_of_keys(kind: Kind, pk: int, started: datetime, due, organization: Organization,
                  settings: BacklogSettings, now: datetime, today: date) -> BacklogItem:
    """The item's place in the list (SLA, deadline, overdue) from its start and due date;
    nothing of it loaded yet."""
    if isinstance(due, datetime):
        due = timezone.localtime(due, organization.tzinfo).date()
    sla_at = started + settings.sla(kind.key)
    deadline = sla_at
    if due is not None:
        end_of_due = datetime.combine(due + timedelta(days=1), time.min,
                                      tzinfo=organization.tzinfo)
        deadline = min(deadline, end_of_due)
    return BacklogItem(
        kind=kind, pk=pk, obj=None, agent=None, owner=None, started_at=started, due=due,
        sla_at=sla_at, deadline=deadline,
        overdue=now >= sla_at or (due is not None and due < today), age=now - started,
        org_slug=organization.slug,
    )


def may_see_backlog(organization: Organization, user: User) -> bool:
    membership = membership_for(user, organization)
    return membership is not None and (membership.is_coach or sees_everything(organization,
                                                                              user))


def _visible(kind: Kind, organization: Organization, user: User) -> Q | None:
    """Which items of ``kind`` the user sees: everything for org admins; for coaches the
    items of agents they coach, the items they own and the unassigned assessments — never
    their own as the agent. ``None``: nothing."""
    if sees_everything(organization, user):
        return Q()
    membership = membership_for(user, organization)
    if membership is None or not membership.is_coach:
        return None
    seen = Q(**{f"{kind.agent}__in": coachable_agents(organization, user)})
    if kind.owner:
        seen |= Q(**{kind.owner: user})
    if kind.key == "assessment":
        seen |= Q(coach__isnull=True)
    return seen & ~Q(**{kind.agent: user})


@dataclass
class BacklogFilters:
    kind: str = ""
    team: int | None = None
    owner: str = ""  # a user id, "unassigned", or "" (anyone)


@dataclass
class Backlog:
    items: list[BacklogItem]
    totals: dict[str, int]  # per kind, before the cap
    capped: list[str] = field(default_factory=list)  # labels of kinds cut at KIND_CAP
    read: list[Kind] = field(default_factory=list)  # the kinds this user's list reads

    @property
    def overdue(self) -> int:
        return sum(1 for i in self.items if i.overdue)


def _kind_queryset(kind: Kind, organization: Organization, user: User,
                   filters: BacklogFilters) -> QuerySet | None:
    visible = _visible(kind, organization, user)
    if visible is None:
        return None
    qs = kind.model.objects.filter(organization=organization).filter(kind.open).filter(visible)
    if filters.team:
        qs = qs.filter(**{f"{kind.agent}__in": TeamMember.objects.filter(
            organization=organization, team_id=filters.team).values("user_id")})
    if filters.owner == "unassigned":
        if kind.owner:
            qs = qs.filter(**{f"{kind.owner}__isnull": True})
    elif filters.owner:
        if not kind.owner or not str(filters.owner).isdigit():
            return None
        qs = qs.filter(**{f"{kind.owner}_id": int(filters.owner)})
    return qs


def backlog(*, organization: Organization, user: User, filters: BacklogFilters | None = None,
            now: datetime | None = None, cap: int = KIND_CAP) -> Backlog:
    """The open coaching items the user sees, overdue first, then by deadline. One query
    per kind (at most six), whatever the number of items; it reads only what places an
    item (id, start, due date): load the rows a page shows with :func:`load_shown`."""
    filters = filters or BacklogFilters()
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=organization.tzinfo)
    settings = backlog_settings(organization)
    items, totals, capped, read = [], {}, [], []
    for kind in KINDS:
        if filters.kind and filters.kind != kind.key:
            continue
        qs = _kind_queryset(kind, organization, user, filters)
        if qs is None:
            totals[kind.key] = 0
            continue
        read.append(kind)
        rows = list(qs.annotate(kind_total=Window(Count("pk"))).order_by(kind.start, "pk")
                    .values_list("pk", kind.start, kind.due or kind.start, "kind_total")[:cap])
        totals[kind.key] = rows[0][3] if rows else 0
        if totals[kind.key] > len(rows):
            capped.append(kind.label)
        items.extend(
            _item_of_keys(kind, pk, started, due if kind.due else None, organization, settings,
                          now, today)
            for pk, started, due, _total in rows)
    items.sort(key=lambda i: (not i.overdue, i.deadline, i.kind.key, i.pk))
    return Backlog(items=items, totals=totals, capped=capped, read=read)


def load_shown(organization: Organization, backlog: Backlog, items: list[BacklogItem]) -> None:
    """Load the rows of ``items`` (a page of ``backlog.items``) with their agent and owner:
    one query per kind the backlog read, also when none of its items is shown, so a page's
    query count does not depend on the kinds on it."""
    for kind in backlog.read:
        ids = [i.pk for i in items if i.kind is kind]
        rows = {obj.pk: obj for obj in kind.model.objects.filter(
            organization=organization, pk__in=[*ids, 0],  # 0: never empty, always a query
        ).select_related(*kind.related).defer(*kind.heavy)}
        for item in items:
            if item.kind is kind and item.pk in rows:
                _show(item, rows[item.pk])


def filter_teams(organization: Organization, user: User) -> QuerySet[Team]:
    teams = Team.objects.filter(organization=organization)
    if not sees_everything(organization, user):
        teams = teams_coached_by(organization, user)
    return teams.order_by("name").only("pk", "name")


def organization_coaches(organization: Organization) -> list[User]:
    """Members holding the coach role (one query)."""
    return [m.user for m in Membership.objects.filter(organization=organization, is_coach=True)
            .select_related("user").order_by("user__username")]


# --- capacity --------------------------------------------------------------------------


def open_load(organization_id: int, user_ids: list[int]) -> dict[int, int]:
    """Open coaching items owned per user (one query per kind with an owner)."""
    load: dict[int, int] = defaultdict(int)
    if not user_ids:
        return load
    for kind in OWNED_KINDS:
        rows = (kind.model.objects.filter(organization_id=organization_id).filter(kind.open)
                .filter(**{f"{kind.owner}_id__in": user_ids})
                .values_list(f"{kind.owner}_id").annotate(n=Count("pk")).order_by())
        for owner_id, n in rows:
            load[owner_id] += n
    return load


def coaches_with_room(organization: Organization, coaches: list[User]) -> list[User]:
    """The coaches (in the given order) below their maximum of open coaching items."""
    if not coaches:
        return []
    settings = backlog_settings(organization)
    load = open_load(organization.pk, [c.pk for c in coaches])
    return [c for c in coaches if load[c.pk] < settings.capacity_of(c.pk)]


@dataclass
class CoachLoad:
    coach: User
    open: int
    overdue: int
    completed: int  # in the last CAPACITY_DAYS days
    median_hours: float | None  # median time to complete those
    capacity: int
    overridden: bool

    @property
    def at_capacity(self) -> bool:
        return self.open >= self.capacity

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.open / self.capacity)) if self.capacity else 100

    @property
    def median_label(self) -> str:
        if self.median_hours is None:
            return "—"
        return duration_label(timedelta(hours=self.median_hours))


def coach_capacity(*, organization: Organization, now: datetime | None = None
                   ) -> list[CoachLoad]:
    """Every coach's open and overdue items against their capacity, with what they
    completed in the last 30 days and its median time to complete. One query for the
    coaches and one per kind with an owner."""
    now = now or timezone.now()
    today = timezone.localdate(now, timezone=organization.tzinfo)
    settings = backlog_settings(organization)
    coaches = organization_coaches(organization)
    ids = [c.pk for c in coaches]
    open_n: dict[int, int] = defaultdict(int)
    overdue_n: dict[int, int] = defaultdict(int)
    durations: dict[int, list[float]] = defaultdict(list)
    since = now - timedelta(days=CAPACITY_DAYS)
    for kind in OWNED_KINDS:
        fields = [f"{kind.owner}_id", kind.start, kind.done_at] + ([kind.due] if kind.due else [])
        rows = (kind.model.objects.filter(organization=organization)
                .filter(**{f"{kind.owner}_id__in": ids})
                .filter(kind.open | kind.done & Q(**{f"{kind.done_at}__gte": since}))
                .values_list(*fields).order_by())
        for owner_id, started, done_at, *due in rows:
            if done_at is None:
                open_n[owner_id] += 1
                due_day = due[0] if due else None
                if isinstance(due_day, datetime):
                    due_day = timezone.localtime(due_day, organization.tzinfo).date()
                if now >= started + settings.sla(kind.key) or (
                        due_day is not None and due_day < today):
                    overdue_n[owner_id] += 1
            else:
                durations[owner_id].append((done_at - started).total_seconds() / 3600)
    return [
        CoachLoad(coach=c, open=open_n[c.pk], overdue=overdue_n[c.pk],
                  completed=len(durations[c.pk]),
                  median_hours=statistics.median(durations[c.pk]) if durations[c.pk] else None,
                  capacity=settings.capacity_of(c.pk),
                  overridden=c.pk in settings.capacity_overrides)
        for c in coaches
    ]


# --- coaching on time, per team (the overview) ----------------------------------------


@dataclass
class TeamOnTime:
    team: str
    completed: int  # items completed in the last ON_TIME_DAYS days
    on_time: int  # of those, within their kind's SLA
    open: int
    median_open_hours: float | None

    @property
    def share(self) -> float | None:
        return self.on_time / self.completed if self.completed else None

    @property
    def median_open_label(self) -> str:
        if self.median_open_hours is None:
            return "—"
        return duration_label(timedelta(hours=self.median_open_hours))


def on_time_by_team(*, organization: Organization, user: User,
                    now: datetime | None = None) -> list[TeamOnTime]:
    """Per team the user sees (all for org admins, the teams they coach otherwise): the
    share of coaching items completed within their SLA over the last 90 days (with n), and
    the median age of the open ones. An agent in two teams counts in both. One query for
    the teams' members and one per kind."""
    now = now or timezone.now()
    settings = backlog_settings(organization)
    teams = Team.objects.filter(organization=organization)
    if not sees_everything(organization, user):
        teams = teams_coached_by(organization, user)
    members = list(TeamMember.objects.filter(organization=organization, team__in=teams)
                   .values_list("team_id", "team__name", "user_id").order_by("team__name"))
    if not members:
        return []
    agents = TeamMember.objects.filter(organization=organization, team__in=teams
                                       ).values("user_id")
    teams_of: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for team_id, name, user_id in members:
        teams_of[user_id].append(team_id)
        names[team_id] = name
    completed: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)
    open_ages: dict[int, list[float]] = defaultdict(list)
    since = now - timedelta(days=ON_TIME_DAYS)
    for kind in KINDS:
        rows = (kind.model.objects.filter(organization=organization)
                .filter(**{f"{kind.agent}__in": agents})
                .filter(kind.open | kind.done & Q(**{f"{kind.done_at}__gte": since}))
                .values_list(f"{kind.agent}_id", kind.start, kind.done_at).order_by())
        sla = settings.sla(kind.key)
        for agent_id, started, done_at in rows:
            for team_id in teams_of.get(agent_id, ()):
                if done_at is None:
                    open_ages[team_id].append((now - started).total_seconds() / 3600)
                else:
                    completed[team_id] += 1
                    on_time[team_id] += done_at - started <= sla
    return [
        TeamOnTime(team=names[t], completed=completed[t], on_time=on_time[t],
                   open=len(open_ages[t]),
                   median_open_hours=statistics.median(open_ages[t]) if open_ages[t] else None)
        for t in sorted(names, key=lambda t: (names[t], t))
    ]


# --- the weekly digest -----------------------------------------------------------------


def overdue_owned_items(*, organization: Organization, now: datetime) -> list[BacklogItem]:
    """Every open item with an owner that is past its SLA or due date, owners holding the
    coach role only (one query per kind with an owner, one for the coaches)."""
    today = timezone.localdate(now, timezone=organization.tzinfo)
    settings = backlog_settings(organization)
    coach_ids = Membership.objects.filter(organization=organization, is_coach=True
                                          ).values("user_id")
    items = []
    for kind in OWNED_KINDS:
        rows = (kind.model.objects.filter(organization=organization).filter(kind.open)
                .filter(**{f"{kind.owner}_id__in": coach_ids})
                .select_related(*kind.related).order_by(kind.start, "pk"))
        items.extend(i for i in (_item(kind, obj, organization, settings, now, today)
                                 for obj in rows) if i.overdue)
    items.sort(key=lambda i: (i.deadline, i.kind.key, i.pk))
    return items
