"""The coaches' weekly digest of overdue coaching items (issue 20): from Monday 07:00 in the
tenant's time zone each coach gets one e-mail of the overdue items they own, with absolute
direct links; the ISO week is claimed in the database so a second run, that week, sends
nothing; next week sends again; a week with nothing overdue stays unclaimed. The clock is
moved by patching Django's ``timezone.now`` (outside our code); e-mail is locmem."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching import tasks
from coaching.models import CoachingAssessment
from coaching.services.backlog import send_backlog_digests
from tenancy.models import Organization

from .assignment_fixtures import aw_fixture  # noqa: F401
from .backlog_fixtures import assessment_for, make_backlog

pytestmark = pytest.mark.django_db

MONDAY_8 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the test tenant is on UTC


class Clock:
    def __init__(self, monkeypatch):
        self.now = MONDAY_8
        monkeypatch.setattr(timezone, "now", lambda: self.now)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _org(aw):
    with scopes_disabled():
        return Organization.objects.get(pk=aw.tenant.org.pk)


def _send(aw, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), aw.tenant.scope():
        return send_backlog_digests(organization=_org(aw), now=now)


def test_digest_lists_each_coachs_overdue_items_once_a_week(
        aw, clock, django_capture_on_commit_callbacks):
    with scopes_disabled():
        aw.coach.email = "carl@example.com"
        aw.coach.save(update_fields=["email"])
        aw.staff["qa"].email = "quinn@example.com"
        aw.staff["qa"].save(update_fields=["email"])
    items = make_backlog(aw)
    # before Monday 07:00: nothing
    assert _send(aw, MONDAY_8 - timedelta(hours=2), django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    # carl owns two overdue items (the plan, the assessment); quinn's dispute is not
    # overdue and she is no coach; the unassigned and the undecided skill items have no
    # owner
    assert _send(aw, MONDAY_8, django_capture_on_commit_callbacks) == 2
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["carl@example.com"], "2 overdue coaching items")]
    body = mail.outbox[0].body
    base = settings.SITE_URL + "/o/acme/coaching/"
    assert f"{base}plans/{items.plan.pk}/" in body
    assert f"{base}assessments/{items.assessment.pk}/" in body
    assert body.index(f"plans/{items.plan.pk}/") < body.index(
        f"assessments/{items.assessment.pk}/")  # the earlier deadline first
    assert f"{base}backlog/?owner={aw.coach.pk}" in body
    assert "Coaching plan: Plan: Empathy — Alice" in body
    assert _org(aw).settings["coaching"]["backlog_digest_week"] == "2026-W10"
    # later that week, again: nothing twice
    assert _send(aw, MONDAY_8 + timedelta(days=3), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1
    # next week: sent again, with the assignment (a week old now) overdue too
    assert _send(aw, MONDAY_8 + timedelta(days=7), django_capture_on_commit_callbacks) == 3
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "3 overdue coaching items"
    assert f"{base}assignments/{items.assignment.pk}/" in mail.outbox[1].body


def test_a_week_without_overdue_items_stays_unclaimed(
        aw, clock, django_capture_on_commit_callbacks):
    with scopes_disabled():
        aw.coach.email = "carl@example.com"
        aw.coach.save(update_fields=["email"])
    fresh = assessment_for(aw, aw.agent, actor=aw.coach, hours=1)
    assert _send(aw, MONDAY_8, django_capture_on_commit_callbacks) == 0
    assert "backlog_digest_week" not in (_org(aw).settings.get("coaching") or {})
    # it becomes overdue on Wednesday: that week's digest still goes
    with scopes_disabled():
        CoachingAssessment.objects.filter(pk=fresh.pk).update(
            created_at=MONDAY_8 - timedelta(hours=200))
    assert _send(aw, MONDAY_8 + timedelta(days=2), django_capture_on_commit_callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["1 overdue coaching item: Manual assessment"]


def test_task_sends_once_and_runs_hourly_from_the_beat(
        aw, clock, django_capture_on_commit_callbacks):
    with scopes_disabled():
        aw.coach.email = "carl@example.com"
        aw.coach.save(update_fields=["email"])
    assessment_for(aw, aw.agent, actor=aw.coach, hours=300)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_backlog_digests_for(organization_id=aw.tenant.org.pk) == 1
        assert tasks.send_backlog_digests_for(organization_id=aw.tenant.org.pk) == 0
    assert [m.to for m in mail.outbox] == [["carl@example.com"]]
    assert settings.CELERY_BEAT_SCHEDULE["coaching-send-backlog-digests"] == {
        "task": "coaching.send_backlog_digests", "schedule": 3600.0}
    assert tasks.send_backlog_digests.name == "coaching.send_backlog_digests"
