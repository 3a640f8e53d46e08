"""Reminders after N pending days (tenant setting) and expiry at the due date (beat)."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from surveys import tasks
from surveys.enums import ResponseState
from surveys.models import SurveyResponse
from surveys.services import expire_overdue_surveys, send_survey_reminders, update_survey_settings
from tests.surveys.conftest import days


def _age(world, response, *, days_ago: float):
    with world.tenant.scope():
        SurveyResponse.objects.filter(pk=response.pk).update(
            dispatched_at=timezone.now() - timedelta(days=days_ago)
        )


def test_reminder_goes_out_once_after_the_tenant_setting_days(
    world, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://coach.example.com"
    update_survey_settings(organization=world.tenant.org, remind_after_days=2, due_after_days=7)
    old = world.send()
    young = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach)
    _age(world, old, days_ago=2.1)
    _age(world, young, days_ago=1.5)

    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        assert send_survey_reminders(organization=world.tenant.org) == 1
        assert send_survey_reminders(organization=world.tenant.org) == 0  # once only

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [world.coach.email]
    assert mail.outbox[0].subject == "Reminder: survey “Coach review” is waiting for you"
    assert f"https://coach.example.com/o/alpha/surveys/responses/{old.pk}/" in mail.outbox[0].body
    with world.tenant.scope():
        assert SurveyResponse.objects.get(pk=young.pk).reminded_at is None


def test_no_reminders_when_the_setting_is_zero_or_the_survey_is_done(
    world, django_capture_on_commit_callbacks
):
    done = world.send()
    with world.tenant.scope():
        from surveys.services import submit_survey

        choice = world.q_choice.choices.first()
        submit_survey(response=done, respondent=world.coach, answers={
            world.q_rating.pk: "3", world.q_yes.pk: "yes", world.q_choice.pk: str(choice.pk)})
    pending = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach)
    _age(world, done, days_ago=5)
    _age(world, pending, days_ago=5)
    update_survey_settings(organization=world.tenant.org, remind_after_days=0, due_after_days=14)

    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        assert send_survey_reminders(organization=world.tenant.org) == 0
    update_survey_settings(organization=world.tenant.org, remind_after_days=3, due_after_days=14)
    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        assert send_survey_reminders(organization=world.tenant.org) == 1

    assert [m.to for m in mail.outbox] == [[world.agent.email]]


def test_expiry_at_the_due_date_only_touches_pending_overdue_surveys(world):
    due_soon = world.send(due_at=days(1))
    later = world.send(world.trainee_survey, respondent=world.agent, subject=world.coach,
                       due_at=days(5))
    now = days(2)

    with world.tenant.scope():
        assert expire_overdue_surveys(organization=world.tenant.org, now=now) == 1
        assert expire_overdue_surveys(organization=world.tenant.org, now=now) == 0
        states = dict(SurveyResponse.objects.values_list("pk", "state"))
        expired = SurveyResponse.objects.get(pk=due_soon.pk)
    assert states == {due_soon.pk: ResponseState.EXPIRED, later.pk: ResponseState.PENDING}
    assert expired.expired_at == now


def test_beat_tasks_expire_and_remind_in_every_tenant(world, django_capture_on_commit_callbacks,
                                                      tasks_in_process):
    a = world.send(due_at=days(1))
    with world.other.scope():
        from surveys.services import dispatch_survey

        b_agent = world.other.member(roles=["agent"], username="bea")
        b = dispatch_survey(template=world.other_survey, respondent=world.outsider,
                            subject=b_agent, notify=False)
    with world.tenant.scope():
        SurveyResponse.objects.filter(pk=a.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with world.other.scope():
        SurveyResponse.objects.filter(pk=b.pk).update(
            dispatched_at=timezone.now() - timedelta(days=4))

    with django_capture_on_commit_callbacks(execute=True):
        # One task per organization (alpha, beta).
        assert tasks.expire_overdue() == 2
        assert tasks.send_reminders() == 2

    with world.tenant.scope():
        assert SurveyResponse.objects.get(pk=a.pk).state == ResponseState.EXPIRED
    with world.other.scope():
        assert SurveyResponse.objects.get(pk=b.pk).state == ResponseState.PENDING
    assert [m.to for m in mail.outbox] == [[world.outsider.email]]
    assert "/o/beta/surveys/responses/" in mail.outbox[0].body
    # Each tenant's work was done once: running a tenant's task again finds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_overdue_for(organization_id=world.tenant.org.pk) == 0
        assert tasks.send_reminders_for(organization_id=world.other.org.pk) == 0
    assert len(mail.outbox) == 1
