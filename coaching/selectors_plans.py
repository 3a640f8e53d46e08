"""Reads for the coaching plan pages: which agents a manager may plan for, which plans a
user sees or manages, an agent's plans, the agent's own plans by month, and the behaviour's
score per week around a plan.

Org admins reach every member; coaches the agents of the teams they coach. An agent sees
their own plans once sent (never a draft). Deleted plans are gone from every page.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet

from tenancy.models import Membership, Organization, User
from tenancy.selectors import coachable_agents, sees_everything

from .models import CoachingPlan, PlanExample, PlanNote, PlanStatus

# Weeks of scores shown before a plan starts, and the most weeks a chart shows.
WEEKS_BEFORE = 6
MAX_WEEKS = 20


def plannable(organization: Organization, user: User, *, field_name: str = "agent") -> Q:
    """Rows whose ``field_name`` is an agent the user may plan for: every member for org
    admins, the agents of the teams they coach for coaches, nobody else."""
    if sees_everything(organization, user):
        members = Membership.objects.filter(organization=organization).values("user_id")
        return Q(**{f"{field_name}__in": members})
    return Q(**{f"{field_name}__in": coachable_agents(organization, user)})


def plannable_agent(organization: Organization, user: User, agent_id: int) -> User | None:
    return User.objects.filter(pk=agent_id).filter(
        plannable(organization, user, field_name="pk")).first()


def plannable_agents(organization: Organization, user: User) -> list[User]:
    """The agents of the header's switcher, by name (the user themselves left out)."""
    return list(User.objects.filter(plannable(organization, user, field_name="pk"))
                .exclude(pk=user.pk).order_by("first_name", "last_name", "username"))


def plannable_people(organization: Organization, user: User) -> QuerySet[User]:
    """The agents of the sessions page's switcher (a type-ahead: a query, not a list)."""
    return User.objects.filter(plannable(organization, user, field_name="pk")).exclude(
        pk=user.pk)


def _live(organization: Organization) -> QuerySet[CoachingPlan]:
    return (CoachingPlan.objects.filter(organization=organization, deleted_at__isnull=True)
            .select_related("agent", "manager"))


def managed_plans(organization: Organization, user: User) -> QuerySet[CoachingPlan]:
    """Plans the user works on as a manager: the ones they created and those of the agents
    they may plan for."""
    return _live(organization).filter(Q(manager=user) | plannable(organization, user))


def visible_plans(organization: Organization, user: User) -> QuerySet[CoachingPlan]:
    """Plans the user may open: the managed ones and their own once sent."""
    own = Q(agent=user) & ~Q(status=PlanStatus.DRAFT)
    return _live(organization).filter(own | Q(manager=user) | plannable(organization, user))


def plan_detail(plans: QuerySet[CoachingPlan], pk: int) -> CoachingPlan:
    """One plan of ``plans`` with its examples and notes (raises DoesNotExist)."""
    return plans.prefetch_related(
        Prefetch("examples", PlanExample.objects.select_related("interaction")),
        Prefetch("notes", PlanNote.objects.select_related("author")),
    ).get(pk=pk)


def agent_plans(organization: Organization, user: User, agent: User) -> list[CoachingPlan]:
    """Every plan of ``agent`` the user manages, newest first."""
    return list(managed_plans(organization, user).filter(agent=agent)
                .order_by("-created_at", "-id"))


def own_plans(organization: Organization, user: User) -> list[CoachingPlan]:
    """The user's own plans once sent, by target date."""
    return list(_live(organization).filter(agent=user).exclude(status=PlanStatus.DRAFT)
                .order_by("target_date", "id"))


# --- the agent's calendar -------------------------------------------------------------


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    is_today: bool
    plans: list


@dataclass(frozen=True)
class PlanCalendar:
    month: date  # the first day of the shown month
    weeks: list[list[CalendarDay]]
    previous: date
    next: date
    in_month: int  # plans due in the shown month


def month_of(value: str | None, today: date) -> date:
    """The first day of the month ``value`` ("YYYY-MM") names, else of today's month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def plan_calendar(plans: list[CoachingPlan], month: date, today: date) -> PlanCalendar:
    """A month grid (weeks from Monday) with each day's plans by target date."""
    by_day: dict[date, list] = {}
    for plan in plans:
        by_day.setdefault(plan.target_date, []).append(plan)
    weeks = [
        [CalendarDay(day=day, in_month=day.month == month.month, is_today=day == today,
                     plans=by_day.get(day, [])) for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year,
                                                                         month.month)
    ]
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    due = sum(1 for plan in plans if (plan.target_date.year, plan.target_date.month)
              == (month.year, month.month))
    return PlanCalendar(month=month, weeks=weeks, previous=previous, next=following,
                        in_month=due)


# --- the behaviour over time ---------------------------------------------------------


@dataclass(frozen=True)
class WeekScore:
    start: date
    end: date
    value: float | None
    n: int
    enough: bool
    in_plan: bool


def plan_weeks(plan: CoachingPlan) -> list[tuple[date, date]]:
    """Weeks (Monday–Sunday) from a few weeks before the plan started through its target
    date, so the whole plan period shows (weeks still to come are empty; at most
    ``MAX_WEEKS``, the latest kept)."""
    start = plan.start_date or plan.created_at.date()
    first = start - timedelta(days=start.weekday()) - timedelta(weeks=WEEKS_BEFORE)
    last = max(plan.target_date, start)
    weeks = []
    monday = first
    while monday <= last:
        weeks.append((monday, monday + timedelta(days=6)))
        monday += timedelta(weeks=1)
    return weeks[-MAX_WEEKS:]


def behaviour_over_time(plan: CoachingPlan, today: date) -> list[WeekScore]:
    """The agent's score for the plan's behaviour per week, each with its n, marking the
    weeks inside the plan period; weeks after ``today`` are not read (a query per week: a
    plan page shows at most ``MAX_WEEKS``)."""
    from .selectors_behaviours import behaviour_score

    start = plan.start_date or plan.created_at.date()
    rows = []
    for monday, sunday in plan_weeks(plan):
        in_plan = sunday >= start and monday <= plan.target_date
        if monday > today:
            rows.append(WeekScore(start=monday, end=sunday, value=None, n=0, enough=False,
                                  in_plan=in_plan))
            continue
        estimate = behaviour_score(plan.organization, plan.agent, plan.attribute_key,
                                   monday, sunday)
        rows.append(WeekScore(start=monday, end=sunday, value=estimate.value, n=estimate.n,
                              enough=estimate.enough, in_plan=in_plan))
    return rows


# --- the quality home's "Recently sent advice" card ------------------------------------

RECENT_PLANS = 5
BEFORE_DAYS = 30  # the behaviour's score before sending: over this many days


@dataclass
class SentPlanChange:
    """A sent plan and its agent's score for the behaviour in the :data:`BEFORE_DAYS`
    days before it was sent and from the day it was sent through today."""

    plan: CoachingPlan
    before: object  # quality.stats.Estimate
    since: object
    minimum: int  # reviews needed in each window to compare

    @property
    def change(self) -> float | None:
        """Since − before when both have enough reviews (``None``: too little data)."""
        if self.before.enough and self.since.enough and self.before.has_value \
                and self.since.has_value:
            return self.since.value - self.before.value
        return None


def recently_sent(organization: Organization, user: User, *, today: date,
                  limit: int = RECENT_PLANS) -> list[SentPlanChange]:
    """The user's managed plans most recently sent, each with the behaviour's score before
    and since sending. Three queries (the plans, then the scoring and every plan's two
    windows summed in one aggregate) whatever the number of plans or agents; one without
    plans."""
    from django.db.models import Sum

    from quality.enums import COUNTED_KINDS
    from quality.models import ScoreRollup

    from .selectors_behaviours import Sums, estimate_of, scoring_of

    plans = list(managed_plans(organization, user).filter(
        sent_at__isnull=False, start_date__isnull=False).order_by("-sent_at", "-pk")[:limit])
    if not plans:
        return []
    scoring = scoring_of(organization)
    if scoring.scorecard is None:
        windows = {}
    else:
        sums = {}
        for i, plan in enumerate(plans):
            behaviour = Q(agent_id=plan.agent_id, attribute_key=plan.attribute_key) \
                & scoring.source([plan.attribute_key])
            for name, window in (
                    ("b", Q(day__gte=plan.start_date - timedelta(days=BEFORE_DAYS),
                            day__lt=plan.start_date)),
                    ("s", Q(day__gte=plan.start_date, day__lte=today))):
                for column in ("n", "total", "total_sq", "failures"):
                    sums[f"{name}{i}_{column}"] = Sum(column, filter=behaviour & window)
        windows = ScoreRollup.objects.filter(
            organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
            agent_id__in={p.agent_id for p in plans},
            day__gte=min(p.start_date for p in plans) - timedelta(days=BEFORE_DAYS),
        ).aggregate(**sums)
    result = []
    for i, plan in enumerate(plans):
        attribute = scoring.attribute(plan.attribute_key)
        estimates = []
        for name in ("b", "s"):
            part = Sums()
            part.add(*(windows.get(f"{name}{i}_{c}") for c in ("n", "total", "total_sq",
                                                               "failures")))
            estimates.append(estimate_of(part, attribute, scoring.minimum))
        result.append(SentPlanChange(plan, *estimates, scoring.minimum))
    return result
