"""E-mails of agent disputes (Django's locmem backend): the reviewer is told of a new round
with a direct link to its decision page, the agent of the decision with a link to the
evaluation, and each reviewer gets a daily digest of their overdue rounds — once a day."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import Dispute, Evaluation
from quality.services.dispute_digest import send_overdue_dispute_digests
from quality.services.disputes import Decision, DisputedAttribute, decide_dispute, raise_dispute
from quality.tasks import send_dispute_digests_for

from .conftest import make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
EMPATHY = DisputedAttribute("empathy", "I apologised in turn 2.", "yes")


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def _raise(world, django_capture_on_commit_callbacks, *, evaluator=None,
           external_id="CHAT-D1", agent=None) -> Dispute:
    evaluation = released_audit(world, evaluator=evaluator, external_id=external_id,
                                agent=agent)
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        return raise_dispute(evaluation=evaluation, agent=agent or world.agent, items=[EMPATHY])


def test_the_agent_is_told_when_an_audit_awaits_their_review(
        world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org, window_days=7)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = released_audit(world)
    assert [m.to for m in mail.outbox] == [[world.agent.email]]
    message = mail.outbox[0]
    assert message.subject == "Your audit of CHAT-D1 is ready for your review"
    assert "An audit of your work on CHAT-D1 was released: total 80." in message.body
    due = timezone.localtime(evaluation.review_due_at, world.tenant.org.tzinfo)
    assert f"by {due:%-d %b %Y %H:%M}. After that date the score stands" in message.body
    assert message.body.rstrip().endswith(f"{SITE}/o/acme/quality/evaluations/{evaluation.pk}/")


def test_a_dispute_without_a_reviewer_emails_the_qa_analysts_and_org_admins(
        world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)  # no arbitrator
    evaluation = released_audit(world)
    with scopes_disabled():  # the auditor left: the round has nobody to decide it
        Evaluation.objects.filter(pk=evaluation.pk).update(evaluator=None)
        evaluation.refresh_from_db()
    mail.outbox.clear()
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert dispute.reviewer_id is None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([world.qa.email, world.admin.email])
    assert mail.outbox[0].body.startswith("Hello QA team,")
    assert f"{SITE}/o/acme/quality/disputes/review/{dispute.pk}/" in mail.outbox[0].body


def test_a_new_dispute_emails_its_reviewer(world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org, sla_hours=48)
    mail.outbox.clear()
    dispute = _raise(world, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    agent = world.agent.get_full_name()
    assert message.to == [world.qa.email]
    assert message.subject == f"Dispute to decide: {agent} on CHAT-D1"
    link = f"{SITE}/o/acme/quality/disputes/review/{dispute.pk}/"
    assert link in message.body
    assert f"{agent} disputes the audit of CHAT-D1 (round 1 of 2, total 80):" in message.body
    assert "- Empathy: audited No, the agent proposes Yes" in message.body
    assert '"I apologised in turn 2."' in message.body
    due = timezone.localtime(dispute.due_at, world.tenant.org.tzinfo)
    assert f"by {due:%-d %b %Y %H:%M}:" in message.body


def test_the_last_round_goes_to_the_arbitrator(world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org, max_rounds=1, arbitrator=world.admin)
    mail.outbox.clear()
    _raise(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[world.admin.email]]


def test_a_decision_emails_the_agent(world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)
    dispute = _raise(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Right: the apology is in turn 2.", "yes")])
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.agent.email]
    assert message.subject == "Your dispute of CHAT-D1 was decided"
    link = f"{SITE}/o/acme/quality/evaluations/{dispute.evaluation_id}/"
    assert message.body.rstrip().endswith(link)
    assert f"{world.qa.get_full_name()} decided your dispute" in message.body
    assert "- Empathy: changed from No to Yes" in message.body
    assert "Total: 80 → 100" in message.body
    with scopes_disabled():
        due = Evaluation.objects.get(pk=dispute.evaluation_id).review_due_at
    local = timezone.localtime(due, world.tenant.org.tzinfo)
    assert f"Accept the outcome, or dispute again, by {local:%-d %b %Y %H:%M}:" in message.body


def test_the_last_rounds_decision_says_the_review_is_resolved(
        world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org, max_rounds=1)
    dispute = _raise(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology in the transcript.")])
    body = mail.outbox[0].body
    assert "- Empathy: upheld (No)" in body
    assert '"No apology in the transcript."' in body
    assert "Total: 80 → 80" in body
    assert "This was the last round: the review of this audit is resolved." in body


def test_a_reviewer_without_address_falls_back_and_the_dispute_stands(
        world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)
    world.qa.email = ""
    world.qa.save(update_fields=["email"])
    mail.outbox.clear()
    dispute = _raise(world, django_capture_on_commit_callbacks)
    # the reviewer (the QA analyst) cannot be written to: the org admins are told instead
    assert [m.to for m in mail.outbox] == [[world.admin.email]]
    with scopes_disabled():
        assert Dispute.objects.filter(pk=dispute.pk).exists()
    world.admin.email = ""
    world.admin.save(update_fields=["email"])
    mail.outbox.clear()
    _raise(world, django_capture_on_commit_callbacks, external_id="CHAT-D2")
    assert mail.outbox == []  # nobody with an address: no mail, the dispute still stands


# --- the daily digest ------------------------------------------------------------------------


def _overdue(dispute, hours):
    with scopes_disabled():
        Dispute.objects.filter(pk=dispute.pk).update(
            due_at=timezone.now() - timedelta(hours=hours))


def _digest(world, django_capture_on_commit_callbacks, now) -> int:
    org = world.tenant.org
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        return send_overdue_dispute_digests(organization=org, now=now)


def test_digest_lists_each_reviewers_overdue_disputes_once_a_day(
        world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)
    late = _raise(world, django_capture_on_commit_callbacks, external_id="CHAT-LATE")
    later = _raise(world, django_capture_on_commit_callbacks, external_id="CHAT-LATER",
                   agent=world.agent2)
    coach_late = _raise(world, django_capture_on_commit_callbacks, external_id="CHAT-COACH",
                        evaluator=world.coach)
    _raise(world, django_capture_on_commit_callbacks, external_id="CHAT-IN-TIME")
    _overdue(late, 5)
    _overdue(later, 30)
    _overdue(coach_late, 1)
    mail.outbox.clear()
    now = timezone.now()
    morning = now.replace(hour=8, minute=0) if now.hour < 8 else now

    assert _digest(world, django_capture_on_commit_callbacks, morning) == 3
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {world.qa.email, world.coach.email}
    qa_mail = sent[world.qa.email]
    assert qa_mail.subject == "2 overdue disputes to decide"
    body = qa_mail.body
    assert body.index("CHAT-LATER") < body.index("CHAT-LATE (")  # the longest overdue first
    assert f"{SITE}/o/acme/quality/disputes/review/{late.pk}/" in body
    assert f"{SITE}/o/acme/quality/disputes/review/{later.pk}/" in body
    assert "CHAT-IN-TIME" not in body
    assert f"All your disputes: {SITE}/o/acme/quality/disputes/review/" in body
    assert sent[world.coach.email].subject == "1 overdue dispute to decide: CHAT-COACH"

    # The same day again (another run, a retry): nothing more.
    mail.outbox.clear()
    assert _digest(world, django_capture_on_commit_callbacks, morning + timedelta(hours=1)) == 0
    assert mail.outbox == []

    # The next day they are still overdue: listed again, once.
    assert _digest(world, django_capture_on_commit_callbacks, morning + timedelta(days=1)) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.qa.email, world.coach.email])


def test_digest_waits_for_the_morning_and_skips_decided(world, card,
                                                        django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)
    dispute = _raise(world, django_capture_on_commit_callbacks)
    _overdue(dispute, 2)
    mail.outbox.clear()
    night = datetime.combine(timezone.now().date(), datetime.min.time(), UTC) \
        + timedelta(hours=6)  # before 7:00 in the tenant's zone (UTC)
    assert _digest(world, django_capture_on_commit_callbacks, night) == 0
    with scopes_disabled():
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology.")])
    mail.outbox.clear()
    assert _digest(world, django_capture_on_commit_callbacks, night + timedelta(hours=3)) == 0
    assert mail.outbox == []
    org = world.tenant.org
    org.refresh_from_db()
    assert "dispute_digest_on" not in org.settings["quality"]  # nothing claimed: none sent


def test_digest_task_runs_in_the_tenants_scope(world, card, django_capture_on_commit_callbacks):
    turn_disputes_on(world.tenant.org)
    dispute = _raise(world, django_capture_on_commit_callbacks)
    _overdue(dispute, 2)
    mail.outbox.clear()
    if timezone.localtime(timezone.now(), world.tenant.org.tzinfo).hour < 7:
        pytest.skip("the digest goes out from 7:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_dispute_digests_for(organization_id=world.tenant.org.pk) == 1
    assert [m.to for m in mail.outbox] == [[world.qa.email]]
