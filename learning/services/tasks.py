"""Learning tasks: assign courses, start, complete (awarding the course's skills), cancel.

Assignment e-mails go out after commit, one per person, with direct links.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
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
                due_date: datetime.date | None,
                now: datetime.datetime) -> tuple[LearningTask, bool]:
    existing = LearningTask.objects.filter(
        assigned_to=assignee, course_item=course_item, state__in=OPEN_STATES
    ).first()
    if existing is not None:
        existing.is_new = False
        return existing, False
    task = LearningTask(
        organization=organization, assigned_to=assignee, course_item=course_item,
        catalog=catalog, assigned_by=assigned_by,
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
    due_date: datetime.date | None = None,
    notify: bool = True,
) -> list[LearningTask]:
    """Give every assignee a task for every course item; return the tasks (new or open;
    each has ``is_new`` set).

    Idempotent: a person who already has a course open keeps that task (and its due date)
    instead of getting a second one. The due date is the course's days to complete from
    today in the tenant's timezone (skipping weekend days when the tenant says so), unless
    ``due_date`` is given. After commit, each person with a new task gets one e-mail listing
    them.
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
                assigned_by=assigned_by, catalog=catalog, due_date=due_date, now=now,
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
    due_date: datetime.date | None = None,
    notify: bool = True,
) -> LearningTask:
    """Give one person one course (see :func:`assign_courses`); returns the open task."""
    return assign_courses(
        course_items=[course_item], assignees=[assignee], assigned_by=assigned_by,
        catalog=catalog, due_date=due_date, notify=notify,
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
    if not actor.has_perm("learning.work_on_task", locked):
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
    if not actor.has_perm("learning.work_on_task", locked):
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
    """Cancel an open task (``learning.cancel_task``: the agent's coach, a learning admin
    or an org admin). Locks the task row."""
    locked = _locked(task)
    _refuse_closed(locked, "cancelled")
    if not actor.has_perm("learning.cancel_task", locked):
        raise LearningError("Only the agent's coach or a learning admin cancels a task.")
    locked.cancel(by=actor, when=timezone.now())
    locked.save()
    return locked
