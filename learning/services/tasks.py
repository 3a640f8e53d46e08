"""Learning tasks: assign courses, start, complete (awarding the course's skills), cancel.

Assignment e-mails go out after commit, one per person, with direct links.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from skills.enums import Source
from skills.services import award_skill
from tenancy.models import Organization, User

from ..due_dates import due_date_for
from ..enums import OPEN_STATES, TaskState
from ..errors import LearningError
from ..models import CatalogCourse, CourseItem, CourseSkill, LearningCatalog, LearningTask
from .common import absolute_url, require_members, require_same_tenant


def _assign_one(*, organization: Organization, course_item: CourseItem, assignee: User,
                assigned_by: User | None, catalog: LearningCatalog | None,
                assessment_id: int | None, due_date: datetime.date | None,
                now: datetime.datetime) -> tuple[LearningTask, bool]:
    existing = LearningTask.objects.filter(
        assigned_to=assignee, course_item=course_item, state__in=OPEN_STATES
    ).first()
    if existing is not None:
        existing.is_new = False
        return existing, False
    task = LearningTask(
        organization=organization, assigned_to=assignee, course_item=course_item,
        catalog=catalog, assessment_id=assessment_id, assigned_by=assigned_by,
        due_date=due_date or due_date_for(organization=organization,
                                          days=course_item.days_to_complete, created_at=now),
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        # Assigned concurrently: the other request's open task is the one.
        task = LearningTask.objects.get(assigned_to=assignee, course_item=course_item,
                                        state__in=OPEN_STATES)
        task.is_new = False
        return task, False
    task.is_new = True
    return task, True


def _check_assignment(organization, course_items, assignees, assigned_by, catalog) -> None:
    require_same_tenant(organization, course_items, what="Course items")
    require_same_tenant(organization, [catalog], what="The catalog")
    require_members(organization, assignees, what="People given training")
    require_members(organization, [assigned_by], what="The person assigning")
    retired = sorted(c.title for c in course_items if not c.active)
    if retired:
        raise LearningError(f"Retired courses cannot be assigned: {', '.join(retired)}.")
    if catalog is not None:
        on_catalog = set(CatalogCourse.objects.filter(catalog=catalog)
                         .values_list("course_id", flat=True))
        missing = sorted(c.title for c in course_items if c.pk not in on_catalog)
        if missing:
            raise LearningError(f"Not in the catalog “{catalog.title}”: {', '.join(missing)}.")


@transaction.atomic
def assign_courses(
    *,
    course_items: Iterable[CourseItem],
    assignees: Iterable[User],
    assigned_by: User | None,
    catalog: LearningCatalog | None = None,
    assessment_id: int | None = None,
    due_date: datetime.date | None = None,
    notify: bool = True,
) -> list[LearningTask]:
    """Give every assignee a task for every course item; return the tasks (new or open;
    each has ``is_new`` set).

    Idempotent: a person who already has a course open keeps that task (and its due date)
    instead of getting a second one. The due date is the course's days to complete from
    today in the tenant's timezone (skipping weekend days when the tenant says so), unless
    ``due_date`` is given. ``assessment_id`` is the coaching assessment that asked for the
    training (owned by the coaching app). After commit, each person with a new task gets one
    e-mail listing them.
    """
    course_items, assignees = list(course_items), list(dict.fromkeys(assignees))
    if not course_items or not assignees:
        raise LearningError("Choose at least one course and one person.")
    organization = course_items[0].organization
    _check_assignment(organization, course_items, assignees, assigned_by, catalog)
    now = timezone.now()
    tasks, new_by_user = [], defaultdict(list)
    for assignee in assignees:
        for course_item in course_items:
            task, created = _assign_one(
                organization=organization, course_item=course_item, assignee=assignee,
                assigned_by=assigned_by, catalog=catalog, assessment_id=assessment_id,
                due_date=due_date, now=now,
            )
            tasks.append(task)
            if created:
                new_by_user[assignee].append(task)
    if notify:
        for assignee, new_tasks in new_by_user.items():
            _notify_assigned(organization, assignee, new_tasks, assigned_by)
    return tasks


def assign_course(
    *,
    course_item: CourseItem,
    assignee: User,
    assigned_by: User | None,
    catalog: LearningCatalog | None = None,
    assessment_id: int | None = None,
    due_date: datetime.date | None = None,
    notify: bool = True,
) -> LearningTask:
    """Give one person one course (see :func:`assign_courses`); returns the open task."""
    return assign_courses(
        course_items=[course_item], assignees=[assignee], assigned_by=assigned_by,
        catalog=catalog, assessment_id=assessment_id, due_date=due_date, notify=notify,
    )[0]


def _notify_assigned(organization, assignee: User, tasks: list[LearningTask],
                     assigned_by: User | None) -> None:
    if not assignee.email:
        return
    lines = [
        {"task": t, "url": absolute_url(organization, "learning:task_detail", pk=t.pk)}
        for t in tasks
    ]
    body = render_to_string("learning/email/assigned.txt", {
        "assignee": assignee, "organization": organization, "lines": lines,
        "assigned_by": assigned_by,
        "my_learning_url": absolute_url(organization, "learning:my_learning"),
    })
    subject = (f"New training: {tasks[0].course_item.title}" if len(tasks) == 1
               else f"{len(tasks)} new learning tasks")
    transaction.on_commit(lambda: send_mail(subject, body, None, [assignee.email]))


def _locked(task: LearningTask) -> LearningTask:
    return (LearningTask.objects.select_for_update(of=("self",))
            .select_related("course_item", "assigned_to").get(pk=task.pk))


def _refuse_closed(task: LearningTask, doing: str) -> None:
    if task.state == TaskState.CANCELLED:
        raise LearningError(f"This task was cancelled, so it can no longer be {doing}.")
    if task.state == TaskState.COMPLETED:
        raise LearningError(f"This task is already completed, so it can no longer be {doing}.")


@transaction.atomic
def start_task(*, task: LearningTask, actor: User) -> LearningTask:
    """Mark a task started. Only its assignee works on it. Locks the task row."""
    locked = _locked(task)
    if locked.assigned_to_id != actor.pk:
        raise LearningError("Only the person the task is assigned to can start it.")
    _refuse_closed(locked, "started")
    if locked.state == TaskState.ASSIGNED:
        locked.start(when=timezone.now())
        locked.save()
    return locked


@transaction.atomic
def complete_task(*, task: LearningTask, actor: User) -> LearningTask:
    """Mark a task completed and award the course's skills at their levels (source
    "learning", the task as cause). A task not yet started is started first. Retired skills
    are skipped. Refuses a cancelled or completed task. Locks the task row, so the skills
    are awarded once."""
    locked = _locked(task)
    if locked.assigned_to_id != actor.pk:
        raise LearningError("Only the person the task is assigned to can complete it.")
    _refuse_closed(locked, "completed")
    now = timezone.now()
    if locked.state == TaskState.ASSIGNED:
        locked.start(when=now)
    locked.complete(when=now)
    locked.save()
    grants = (CourseSkill.objects.filter(course_id=locked.course_item_id, skill__active=True)
              .select_related("skill", "level"))
    for grant in grants:
        award_skill(user=locked.assigned_to, skill=grant.skill, level=grant.level,
                    source=Source.LEARNING, actor=actor, cause=locked,
                    note=f"Completed “{locked.course_item.title}”.")
    return locked


@transaction.atomic
def cancel_task(*, task: LearningTask, actor: User) -> LearningTask:
    """Cancel an open task (a coach or learning admin decides; views check who).
    Locks the task row."""
    locked = _locked(task)
    _refuse_closed(locked, "cancelled")
    locked.cancel(by=actor, when=timezone.now())
    locked.save()
    return locked


def _resolve_courses(organization: Organization, references) -> tuple[list[CourseItem], list]:
    """Course items named by id or by title (case-insensitive); also what matched nothing."""
    ids = [r for r in references if isinstance(r, int)]
    titles = [r.strip() for r in references if isinstance(r, str) and r.strip()]
    found = list(CourseItem.objects.filter(organization=organization, active=True, pk__in=ids))
    wanted = {t.lower() for t in titles}
    by_title: dict[str, CourseItem] = {}
    if wanted:
        query = Q()
        for title in wanted:
            query |= Q(title__iexact=title)
        for course in CourseItem.objects.filter(query, organization=organization,
                                                active=True).order_by("pk"):
            by_title.setdefault(course.title.lower(), course)
    missing = [i for i in ids if i not in {c.pk for c in found}]
    for title in titles:
        course = by_title.get(title.lower())
        if course is None:
            missing.append(title)
        elif course not in found:
            found.append(course)
    return found, missing


@transaction.atomic
def assign_assessment_courses(assessment) -> list[LearningTask]:
    """The training of a completed coaching assessment, as learning tasks.

    Meant to be registered as a coaching completion hook (coaching sits above learning, so
    this function reads the assessment by duck typing and never imports coaching):
    ``assessment.organization``, ``.pk``, ``.trainee``, ``.coach`` (None for a virtual
    coach) and ``.courses`` — course item ids or titles. Every resolved active course is
    assigned to the trainee with ``assessment_id`` set; references that match no active
    course are skipped (the assessment keeps them). Idempotent like :func:`assign_courses`.
    """
    references = list(getattr(assessment, "courses", None) or [])
    if not references:
        return []
    courses, _missing = _resolve_courses(assessment.organization, references)
    if not courses:
        return []
    return assign_courses(course_items=courses, assignees=[assessment.trainee],
                          assigned_by=getattr(assessment, "coach", None),
                          assessment_id=assessment.pk)
