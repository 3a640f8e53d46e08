"""Reminder e-mails: a task becomes due tomorrow, or is overdue.

Each is sent once per due date: the row records the due date it was reminded for, written
by a conditional UPDATE before the e-mail is scheduled (after commit), so a second run — or
two runners at once — finds nothing left to send. Moving the due date allows a new reminder.
"""

import datetime
from collections import defaultdict

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from tenancy.models import Organization

from ..due_dates import today_for
from ..enums import OPEN_STATES
from ..models import LearningTask
from .common import absolute_url

# Reminders for a tenant go out from this local hour on, never in the middle of the night.
REMINDER_HOUR = 7


def _claim(organization, kind: str, condition: Q) -> list[LearningTask]:
    field = "due_soon_reminded_for" if kind == "due_soon" else "overdue_reminded_for"
    pending = (
        LearningTask.objects.filter(organization=organization, state__in=OPEN_STATES)
        .filter(condition)
        .filter(Q(**{f"{field}__isnull": True}) | ~Q(**{field: F("due_date")}))
    )
    ids = list(pending.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if not ids:
        return []
    LearningTask.objects.filter(pk__in=ids).update(**{field: F("due_date")})
    return list(LearningTask.objects.filter(pk__in=ids)
                .select_related("assigned_to", "course_item").order_by("due_date", "pk"))


@transaction.atomic
def send_learning_reminders(*, organization: Organization,
                            now: datetime.datetime | None = None) -> int:
    """Send the organization's due-tomorrow and overdue reminders; return how many tasks
    were reminded. Does nothing before ``REMINDER_HOUR`` in the tenant's timezone."""
    now = now or timezone.now()
    if now.astimezone(organization.tzinfo).hour < REMINDER_HOUR:
        return 0
    today = today_for(organization, now)
    tomorrow = today + datetime.timedelta(days=1)
    due_soon = _claim(organization, "due_soon", Q(due_date=tomorrow))
    overdue = _claim(organization, "overdue", Q(due_date__lt=today))
    for kind, tasks in (("due_soon", due_soon), ("overdue", overdue)):
        by_user = defaultdict(list)
        for task in tasks:
            by_user[task.assigned_to].append(task)
        for user, user_tasks in by_user.items():
            _schedule_mail(organization, kind, user, user_tasks, today)
    return len(due_soon) + len(overdue)


def _schedule_mail(organization, kind, user, tasks, today) -> None:
    if not user.email:
        return
    lines = [{"task": t, "days_late": (today - t.due_date).days,
              "url": absolute_url(organization, "learning:task_detail", pk=t.pk)}
             for t in tasks]
    body = render_to_string("learning/email/reminder.txt", {
        "kind": kind, "user": user, "organization": organization, "lines": lines,
        "my_learning_url": absolute_url(organization, "learning:my_learning"),
    })
    if kind == "due_soon":
        subject = (f"Due tomorrow: {tasks[0].course_item.title}" if len(tasks) == 1
                   else f"{len(tasks)} learning tasks are due tomorrow")
    else:
        subject = (f"Overdue: {tasks[0].course_item.title}" if len(tasks) == 1
                   else f"{len(tasks)} learning tasks are overdue")
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
