"""Reminder e-mails: due tomorrow and overdue, once per due date, in the tenant's time."""

import datetime

from django.core import mail
from django.utils import timezone

from learning.models import LearningTask
from learning.services import assign_course, cancel_task, complete_task, send_learning_reminders
from learning.tasks import send_learning_reminders as beat_task
from learning.tasks import send_learning_reminders_for as tenant_task

UTC = datetime.UTC
# 09:00 in Alpha's timezone (UTC in the factories) on Wednesday 5 March 2025.
NOW = datetime.datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
TODAY = datetime.date(2025, 3, 5)


def make(world, course, agent, due):
    return assign_course(course_item=course, assignee=agent, assigned_by=world.coach,
                         due_date=due, notify=False)


def test_reminders_due_tomorrow_and_overdue_sent_once(world, django_capture_on_commit_callbacks,
                                                      settings):
    settings.SITE_URL = "https://coach.example.com"
    day = datetime.timedelta(days=1)
    with world.tenant.scope():
        tomorrow = make(world, world.article, world.agent, TODAY + day)
        late = make(world, world.external, world.agent, TODAY - 3 * day)
        make(world, world.article, world.agent2, TODAY)  # due today: no reminder
        make(world, world.external, world.agent2, TODAY + 2 * day)  # later: none
        done = make(world, world.article, world.agent3, TODAY - day)
        complete_task(task=done, actor=world.agent3)  # closed: none
        with django_capture_on_commit_callbacks(execute=True):
            assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 0
            assert send_learning_reminders(
                organization=world.tenant.org, now=NOW + datetime.timedelta(hours=5)) == 0
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["abe@example.com"], "Due tomorrow: VPN troubleshooting"),
        (["abe@example.com"], "Overdue: Firewalls on Udemy"),
    ]
    assert f"https://coach.example.com/o/alpha/learning/tasks/{tomorrow.pk}/" in (
        mail.outbox[0].body)
    assert "due Tuesday 4 March 2025" not in mail.outbox[1].body
    assert "due Sunday 2 March 2025 (3 days late)" in mail.outbox[1].body
    with world.tenant.scope():
        assert LearningTask.objects.get(pk=late.pk).overdue_reminded_for == TODAY - 3 * day


def test_reminders_next_day_overdue_after_due_tomorrow(world, django_capture_on_commit_callbacks):
    with world.tenant.scope():
        make(world, world.article, world.agent, TODAY + datetime.timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            send_learning_reminders(organization=world.tenant.org, now=NOW)
            # Two days later it is overdue: one overdue reminder, then nothing more.
            later = NOW + datetime.timedelta(days=2)
            assert send_learning_reminders(organization=world.tenant.org, now=later) == 1
            assert send_learning_reminders(organization=world.tenant.org,
                                           now=later + datetime.timedelta(days=1)) == 0
    assert [m.subject for m in mail.outbox] == ["Due tomorrow: VPN troubleshooting",
                                                "Overdue: VPN troubleshooting"]


def test_reminders_group_several_tasks_in_one_email(world, django_capture_on_commit_callbacks):
    with world.tenant.scope():
        make(world, world.article, world.agent, TODAY - datetime.timedelta(days=1))
        make(world, world.external, world.agent, TODAY - datetime.timedelta(days=2))
        with django_capture_on_commit_callbacks(execute=True):
            assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 2
    assert [m.subject for m in mail.outbox] == ["2 learning tasks are overdue"]


def test_reminders_wait_for_the_morning_in_the_tenants_timezone(
        world, django_capture_on_commit_callbacks, unscoped):
    world.tenant.org.timezone = "America/Chicago"
    world.tenant.org.save()
    # 09:00 UTC is 03:00 in Chicago: too early.
    make(world, world.article, world.agent, datetime.date(2025, 3, 4))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 0
        assert send_learning_reminders(organization=world.tenant.org,
                                       now=NOW + datetime.timedelta(hours=5)) == 1
    assert len(mail.outbox) == 1


def test_reminders_skip_cancelled_tasks_and_other_tenants(world,
                                                          django_capture_on_commit_callbacks):
    with world.tenant.scope():
        task = make(world, world.article, world.agent, TODAY - datetime.timedelta(days=1))
        cancel_task(task=task, actor=world.coach)
    with world.other.scope():
        assign_course(course_item=world.other_course, assignee=world.outsider, assigned_by=None,
                      due_date=TODAY - datetime.timedelta(days=1), notify=False)
    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 0
    assert mail.outbox == []


def test_a_moved_due_date_is_reminded_again(world, django_capture_on_commit_callbacks):
    with world.tenant.scope():
        task = make(world, world.article, world.agent, TODAY - datetime.timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            send_learning_reminders(organization=world.tenant.org, now=NOW)
        LearningTask.objects.filter(pk=task.pk).update(due_date=TODAY - datetime.timedelta(2))
        with django_capture_on_commit_callbacks(execute=True):
            assert send_learning_reminders(organization=world.tenant.org, now=NOW) == 1
    assert len(mail.outbox) == 2


def test_beat_task_runs_every_tenant_and_is_safe_to_repeat(world,
                                                           django_capture_on_commit_callbacks,
                                                           tasks_in_process):
    today = timezone.localdate()
    with world.tenant.scope():
        make(world, world.article, world.agent, today - datetime.timedelta(days=1))
    with world.other.scope():
        assign_course(course_item=world.other_course, assignee=world.outsider, assigned_by=None,
                      due_date=today - datetime.timedelta(days=1), notify=False)
    # The beat task uses the real clock: before 07:00 UTC it rightly sends nothing.
    expected = 2 if timezone.now().hour >= 7 else 0
    with django_capture_on_commit_callbacks(execute=True):
        # One task per organization (alpha, beta); each sends its tenant's reminder.
        assert beat_task.apply().get() == 2
        assert tenant_task(organization_id=world.tenant.org.pk) == 0
        assert tenant_task(organization_id=world.other.org.pk) == 0
        assert beat_task.apply().get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == (
        ["abe@example.com", "bob@example.com"] if expected else [])
