"""Read queries for learning pages, the API and the skill overview: each returns what its
callers render, with a fixed number of queries whatever the amount of data."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from skills.extensions import OverviewItem, OverviewSection
from tenancy.enums import Role
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.pseudonyms import peer_names
from tenancy.selectors import coachable_agents, sees_everything, teams_coached_by

from .due_dates import due_status, today_for
from .enums import OPEN_STATES, DueStatus, TaskState
from .models import CatalogCourse, CourseItem, CourseSkill, LearningCatalog, LearningTask

# --- people --------------------------------------------------------------------------


def teams_for_assigning(organization: Organization, user: User) -> QuerySet[Team]:
    teams = Team.objects.filter(organization=organization)
    if not sees_everything(organization, user, Role.LEARNING_ADMIN):
        teams = teams_coached_by(organization, user)
    return teams.order_by("name")


def assignable_people(organization: Organization, user: User) -> QuerySet[User]:
    """Agents the user may give training to: the agents they may coach, or every agent for
    learning and org admins."""
    agents = Membership.objects.filter(organization=organization, is_agent=True).values("user_id")
    people = User.objects.filter(pk__in=agents)
    if not sees_everything(organization, user, Role.LEARNING_ADMIN):
        people = people.filter(pk__in=coachable_agents(organization, user))
    return people.order_by("first_name", "last_name", "username")


def members_of_teams(organization: Organization, teams) -> list[User]:
    """Agents in the given teams (a whole team's training)."""
    agents = Membership.objects.filter(organization=organization, is_agent=True).values("user_id")
    return list(User.objects.filter(pk__in=agents, team_memberships__team__in=teams)
                .distinct().order_by("username"))


# --- catalogs and courses ------------------------------------------------------------


def catalogs_for(organization: Organization, user: User) -> QuerySet[LearningCatalog]:
    """Catalogs the user sees: all for learning/org admins; otherwise those without
    applicable teams and those of teams the user coaches or belongs to."""
    catalogs = LearningCatalog.objects.filter(organization=organization)
    if not sees_everything(organization, user, Role.LEARNING_ADMIN):
        mine = Team.objects.filter(
            Q(pk__in=teams_coached_by(organization, user).values("pk"))
            | Q(pk__in=TeamMember.objects.filter(user=user).values("team_id"))
        ).values("pk")
        catalogs = catalogs.filter(
            Q(team_links__isnull=True) | Q(team_links__team_id__in=mine)
        ).distinct()
    return catalogs


def catalog_list(organization: Organization, user: User) -> QuerySet[LearningCatalog]:
    return (
        catalogs_for(organization, user)
        .select_related("owner")
        .prefetch_related("teams")
        .annotate(course_count=Count("course_links", distinct=True))
        .order_by("title")
    )


def catalog_detail(organization: Organization, user: User, pk: int) -> LearningCatalog | None:
    return (
        catalogs_for(organization, user).select_related("owner")
        .prefetch_related(
            "teams",
            Prefetch("courses", queryset=CourseItem.objects.order_by("title")
                     .prefetch_related(_skills_prefetch())),
        )
        .filter(pk=pk).first()
    )


def _skills_prefetch() -> Prefetch:
    return Prefetch("granted_skills",
                    queryset=CourseSkill.objects.select_related("skill", "level")
                    .order_by("skill__name"))


def course_list(organization: Organization, *, source: str = "", q: str = "") -> QuerySet:
    courses = CourseItem.objects.filter(organization=organization)
    if source == "internal":
        courses = courses.exclude(source="external")
    elif source == "external":
        courses = courses.filter(source="external")
    if q:
        courses = courses.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return (courses.prefetch_related(_skills_prefetch(), "catalogs")
            .annotate(open_task_count=Count("tasks", filter=Q(tasks__state__in=OPEN_STATES)))
            .order_by("title"))


def course_choices(organization: Organization) -> QuerySet[CourseItem]:
    """Every course's id and title, by title: a filter's choices (one plain query, none of
    :func:`course_list`'s counts and prefetches)."""
    return CourseItem.objects.filter(organization=organization).only("pk", "title").order_by(
        "title")


def course_detail(organization: Organization, pk: int) -> CourseItem | None:
    return (CourseItem.objects.filter(organization=organization, pk=pk)
            .prefetch_related(_skills_prefetch(), "catalogs").first())


def assignable_courses(organization: Organization, user: User) -> QuerySet[CourseItem]:
    """Active courses on catalogs the user sees (every active course for admins)."""
    courses = CourseItem.objects.filter(organization=organization, active=True)
    if not sees_everything(organization, user, Role.LEARNING_ADMIN):
        courses = courses.filter(
            pk__in=CatalogCourse.objects.filter(
                catalog__in=catalogs_for(organization, user)).values("course_id")
        )
    return courses.order_by("title")


# --- tasks ---------------------------------------------------------------------------


def _task_base() -> QuerySet[LearningTask]:
    return LearningTask.objects.select_related("assigned_to", "course_item", "catalog",
                                               "assigned_by")


def decorate(tasks, *, today: datetime.date) -> list[LearningTask]:
    """Give each task its ``due_status`` (overdue / today / later / closed)."""
    tasks = list(tasks)
    for task in tasks:
        task.due_status = due_status(due_date=task.due_date, is_open=task.is_open, today=today)
    return tasks


def local_today(organization: Organization) -> datetime.date:
    return today_for(organization, timezone.now())


@dataclass
class TaskFilters:
    state: str = ""
    agent: int | None = None
    course: int | None = None
    overdue: bool = False


def visible_learning_tasks(*, organization: Organization, user: User) -> QuerySet[LearningTask]:
    """Tasks the user may open: every task for learning and org admins; otherwise their
    own and those of the agents they may coach."""
    tasks = _task_base().filter(organization=organization)
    if sees_everything(organization, user, Role.LEARNING_ADMIN):
        return tasks
    return tasks.filter(Q(assigned_to=user)
                        | Q(assigned_to_id__in=coachable_agents(organization, user)))


def team_tasks(organization: Organization, viewer: User, filters: TaskFilters,
               *, today: datetime.date) -> QuerySet[LearningTask]:
    """Tasks of the agents the viewer may coach (every task for learning/org admins), soonest
    due first: the order of index ``learningtask_org_list``, so a page reads only its rows."""
    tasks = _task_base().filter(organization=organization)
    if not sees_everything(organization, viewer, Role.LEARNING_ADMIN):
        tasks = tasks.filter(assigned_to_id__in=coachable_agents(organization, viewer))
    if filters.state in TaskState.values:
        tasks = tasks.filter(state=filters.state)
    if filters.agent:
        tasks = tasks.filter(assigned_to_id=filters.agent)
    if filters.course:
        tasks = tasks.filter(course_item_id=filters.course)
    if filters.overdue:
        tasks = tasks.filter(state__in=OPEN_STATES, due_date__lt=today)
    return tasks.order_by("due_date", "pk")


def state_counts(tasks: QuerySet[LearningTask], *, today: datetime.date) -> dict[str, int]:
    counts = tasks.order_by().aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in TaskState.values},
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_date__lt=today)),
    )
    return counts


def my_tasks(organization: Organization, user: User) -> QuerySet[LearningTask]:
    return (
        _task_base().filter(organization=organization, assigned_to=user)
        .order_by("due_date", "pk")
    )


def task_for(tasks: QuerySet[LearningTask], pk: int) -> LearningTask | None:
    """Task ``pk`` if it is among ``tasks`` (a ``visible_learning_tasks`` or ``my_tasks``
    query), with its course's skills; None otherwise."""
    return (tasks.filter(pk=pk)
            .prefetch_related(Prefetch("course_item__granted_skills",
                                       queryset=CourseSkill.objects.select_related(
                                           "skill", "level").order_by("skill__name")))
            .first())


def api_tasks(organization: Organization, *, assigned_to: User | None = None,
              state: str | None = None) -> QuerySet[LearningTask]:
    tasks = _task_base().filter(organization=organization)
    if assigned_to is not None:
        tasks = tasks.filter(assigned_to=assigned_to)
    if state:
        tasks = tasks.filter(state=state)
    return tasks.order_by("pk")


# --- the skill overview's sections (registered from LearningConfig.ready) -------------


def skill_overview_pending_users(request, skill) -> OverviewSection:
    """People with an open task (assigned or in progress) whose course grants the skill
    (by pseudonym and without a link where the viewer sees them so: tenancy.pseudonyms)."""
    names = peer_names(request)
    tasks = list(
        LearningTask.objects.filter(
            organization=request.organization, state__in=OPEN_STATES,
            course_item__granted_skills__skill=skill,
        ).select_related("assigned_to", "course_item").order_by("due_date", "pk")
    )
    items = [
        OverviewItem(
            label=names.label(t.assigned_to),
            url=reverse("learning:task_detail",
                        kwargs={"org_slug": request.organization.slug, "pk": t.pk})
            if names.is_named(t.assigned_to) else None,
            detail=f"{t.course_item.title} · {t.get_state_display().lower()} · "
                   f"due {t.due_date:%-d %b %Y}",
        )
        for t in tasks
    ]
    people = len({t.assigned_to_id for t in tasks})
    return OverviewSection(title=f"Pending users from learning ({people})", items=items,
                           empty_text="No one is working on a course that grants this skill.")


def skill_overview_courses(request, skill) -> OverviewSection:
    """Course items that grant the skill, with the level they grant."""
    grants = list(
        CourseSkill.objects.filter(organization=request.organization, skill=skill)
        .select_related("course", "level").order_by("course__title")
    )
    items = [
        OverviewItem(
            label=g.course.title,
            url=reverse("learning:course_detail",
                        kwargs={"org_slug": request.organization.slug, "pk": g.course_id}),
            detail=f"{g.course.kind_label} · grants {g.level.name}",
        )
        for g in grants
    ]
    return OverviewSection(title=f"Course items ({len(items)})", items=items,
                           empty_text="No course grants this skill yet.")


__all__ = [
    "DueStatus", "TaskFilters", "api_tasks", "assignable_courses", "assignable_people",
    "catalog_detail", "catalog_list", "catalogs_for", "course_choices", "course_detail",
    "course_list", "decorate", "local_today", "members_of_teams", "my_tasks",
    "skill_overview_courses", "skill_overview_pending_users", "state_counts", "task_for",
    "team_tasks", "teams_for_assigning", "visible_learning_tasks",
]


def my_learning_summary(request) -> dict | None:
    """The "My learning" card of the agent's My coaching page."""
    if not request.user.has_perm("learning.view_my_learning"):
        return None
    today = local_today(request.organization)
    counts = (
        LearningTask.objects.filter(organization=request.organization, assigned_to=request.user,
                                    state__in=OPEN_STATES)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    )
    return {
        "title": "Learning to do",
        "value": counts["open"],
        "caption": f"{counts['overdue']} overdue" if counts["overdue"] else "none overdue",
        "url": reverse("learning:my_learning", kwargs={"org_slug": request.organization.slug}),
        "tone": "danger" if counts["overdue"] else None,
    }


def completion_message(task: LearningTask) -> str:
    """What completing ``task`` changed on the person's skill profile, in words: skills
    added, levels raised, and those already held at the course's level (nothing changed)."""
    from skills.enums import ChangeKind
    from skills.models import SkillChange

    grants = [g.skill.name for g in task.course_item.granted_skills.all()]
    if not grants:
        return ""
    changes = list(SkillChange.objects.filter(
        organization_id=task.organization_id, user_id=task.assigned_to_id,
        cause_type=LearningTask._meta.model_name, cause_id=task.pk,
    ).select_related("skill", "from_level", "to_level").order_by("skill__name"))
    added = [c.skill.name for c in changes if c.kind == ChangeKind.ADDED]
    raised = [f"{c.skill.name} ({c.from_level.name} → {c.to_level.name})" for c in changes
              if c.kind == ChangeKind.RAISED]
    changed = {c.skill.name for c in changes}
    held = sorted(name for name in grants if name not in changed)
    parts = []
    if added:
        parts.append(f"Skills added to your profile: {', '.join(added)}.")
    if raised:
        parts.append(f"Levels raised on your profile: {', '.join(raised)}.")
    if held:
        parts.append(f"Already on your profile at this level or higher: {', '.join(held)}.")
    return " ".join(parts)
