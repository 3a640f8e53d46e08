"""Agent accept & dispute, through the services: the review's lifecycle, the decisions, the
bad input that changes nothing, and effects exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import TOTAL_KEY, ReviewState
from quality.models import (
    Attribute,
    Dispute,
    Evaluation,
    EvaluationChange,
    Scorecard,
    ScoreRollup,
)
from quality.selectors import quality_settings
from quality.services.disputes import (
    Decision,
    DisputedAttribute,
    acknowledge,
    close_expired_reviews,
    decide_dispute,
    raise_dispute,
)
from quality.services.errors import QualityError
from quality.services.settings import update_dispute_settings

from .conftest import make_interaction, make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

EMPATHY = DisputedAttribute("empathy", "I apologised in turn 3.", "yes")


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


def _fresh(evaluation) -> Evaluation:
    with scopes_disabled():
        return Evaluation.objects.get(pk=evaluation.pk)


def _changes(evaluation) -> list[tuple]:
    with scopes_disabled():
        return list(EvaluationChange.objects.filter(evaluation=evaluation)
                    .values_list("action", "attribute", "before", "after"))


def test_settings_default_off_and_saved(world):
    org = world.tenant.org
    assert quality_settings(org).disputes.enabled is False
    assert quality_settings(org).disputes.max_rounds == 2
    assert quality_settings(org).disputes.window_days == 7
    assert quality_settings(org).disputes.sla_hours == 48
    with scopes_disabled():
        update_dispute_settings(organization=org, enabled=True, max_rounds=3, window_days=5,
                                sla_hours=24, arbitrator=world.qa)
    saved = quality_settings(org).disputes
    assert (saved.enabled, saved.max_rounds, saved.window_days, saved.sla_hours,
            saved.arbitrator_id) == (True, 3, 5, 24, world.qa.pk)


@pytest.mark.parametrize(("field", "kwargs", "message"), [
    ("max_rounds", {"max_rounds": 0}, "Allow 1 to 5 dispute rounds."),
    ("window_days", {"window_days": 91},
     "Agents may answer an audit 1 to 90 days after its release."),
    ("sla_hours", {"sla_hours": 0},
     "Reviewers decide a dispute within 1 to 720 hours (30 days)."),
])
def test_settings_refuse_bad_values(world, field, kwargs, message):
    with scopes_disabled(), pytest.raises(QualityError) as error:
        update_dispute_settings(organization=world.tenant.org, enabled=True, **kwargs)
    assert (error.value.field, error.value.message) == (field, message)
    assert quality_settings(world.tenant.org).disputes.enabled is False


def test_arbitrator_must_be_qa_or_admin(world):
    with scopes_disabled(), pytest.raises(QualityError) as error:
        update_dispute_settings(organization=world.tenant.org, enabled=True,
                                arbitrator=world.coach)
    assert error.value.field == "arbitrator"


def test_release_opens_review_only_when_on(world, card):
    off = released_audit(world, external_id="CHAT-OFF")
    assert _fresh(off).review_state == ReviewState.NONE
    turn_disputes_on(world.tenant.org, window_days=7)
    on = released_audit(world, external_id="CHAT-ON")
    on = _fresh(on)
    assert on.review_state == ReviewState.PENDING_AGENT
    assert on.review_due_at == on.released_at + timedelta(days=7)
    assert on.total == 80.0


def test_agent_accepts(world, card):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        acknowledge(evaluation=evaluation, agent=world.agent)
    evaluation = _fresh(evaluation)
    assert evaluation.review_state == ReviewState.ACCEPTED
    assert evaluation.reviewed_at is not None
    assert ("accepted", "", "Pending agent review", "Accepted") in _changes(evaluation)
    with scopes_disabled(), pytest.raises(QualityError) as error:
        acknowledge(evaluation=evaluation, agent=world.agent)
    assert error.value.message == "The review of this audit is over (Accepted)."


def test_dispute_changed_recomputes_total_history_and_rollups(world, card):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert (dispute.round, dispute.reviewer_id, dispute.total_before) == (1, world.qa.pk, 80.0)
    assert dispute.due_at == dispute.raised_at + timedelta(hours=48)
    evaluation = _fresh(evaluation)
    assert (evaluation.review_state, evaluation.review_rounds) == (
        ReviewState.PENDING_SUPERVISOR, 1)
    with scopes_disabled():
        item = dispute.items.get()
        assert (item.original, item.proposed, item.reason) == ("No", "Yes",
                                                              "I apologised in turn 3.")
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Right: the apology is in turn 3.", "yes")])
        dispute.refresh_from_db()
        item.refresh_from_db()
        rollup = ScoreRollup.objects.get(agent=world.agent, kind="manual",
                                         attribute_key=TOTAL_KEY)
    evaluation = _fresh(evaluation)
    assert evaluation.total == 100.0
    assert (dispute.total_after, dispute.decided_by_id) == (100.0, world.qa.pk)
    assert (item.decision, item.decided) == ("changed", "Yes")
    assert evaluation.review_state == ReviewState.RE_EVALUATED
    assert (rollup.n, rollup.total) == (1, 100.0)
    assert ("changed on dispute", "Empathy", "No", "Yes") in _changes(evaluation)
    with scopes_disabled():
        acknowledge(evaluation=evaluation, agent=world.agent)
    evaluation = _fresh(evaluation)
    assert evaluation.review_state == ReviewState.RESOLVED


def test_second_round_goes_to_arbitrator_and_resolves(world, card):
    turn_disputes_on(world.tenant.org, max_rounds=2, arbitrator=world.admin)
    evaluation = released_audit(world)
    with scopes_disabled():
        first = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
        decide_dispute(dispute=first, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology in the transcript.")])
        second = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            DisputedAttribute("empathy", "Please listen to the call.")])
        assert (second.round, second.reviewer_id) == (2, world.admin.pk)
        with pytest.raises(QualityError) as error:
            decide_dispute(dispute=second, reviewer=world.coach, decisions=[
                Decision("empathy", "upheld", "No.")])
        assert error.value.message == "Only the dispute's reviewer or a QA analyst decides it."
        decide_dispute(dispute=second, reviewer=world.admin, decisions=[
            Decision("empathy", "upheld", "Listened: no apology.")])
    evaluation = _fresh(evaluation)
    assert (evaluation.review_state, evaluation.review_rounds, evaluation.total) == (
        ReviewState.RESOLVED, 2, 80.0)
    with scopes_disabled(), pytest.raises(QualityError) as error:
        raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert error.value.message == "The review of this audit is over (Resolved)."


def test_round_limit(world, card):
    turn_disputes_on(world.tenant.org, max_rounds=1)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology.")])
    assert _fresh(evaluation).review_state == ReviewState.RESOLVED


@pytest.mark.parametrize(("items", "field", "message"), [
    ([], "items", "Choose at least one attribute to dispute."),
    ([DisputedAttribute("nope", "x")], "nope", "“nope” is not an attribute of this audit."),
    ([DisputedAttribute("empathy", "  ")], "empathy", "Say why you dispute “Empathy”."),
    ([EMPATHY, EMPATHY], "empathy", "“Empathy” is disputed twice."),
    ([DisputedAttribute("empathy", "why", "maybe")], "empathy",
     "“Empathy” is answered yes, no or na; got 'maybe'."),
    ([DisputedAttribute("empathy", "why", "no")], "empathy",
     "You propose the answer “No” “Empathy” already has; propose another or none."),
])
def test_bad_disputes_change_nothing(world, card, items, field, message):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled(), pytest.raises(QualityError) as error:
        raise_dispute(evaluation=evaluation, agent=world.agent, items=items)
    assert (error.value.field, error.value.message) == (field, message)
    evaluation = _fresh(evaluation)
    assert (evaluation.review_state, evaluation.review_rounds) == (ReviewState.PENDING_AGENT, 0)
    with scopes_disabled():
        assert Dispute.objects.count() == 0


def test_non_disputable_attribute(world, card):
    with scopes_disabled():
        Attribute.objects.filter(scorecard=card, key="compliance").update(disputable=False)
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled(), pytest.raises(QualityError) as error:
        raise_dispute(evaluation=evaluation, agent=world.agent,
                      items=[DisputedAttribute("compliance", "I never said it.")])
    assert error.value.message == "“Compliance” cannot be disputed."


def test_someone_elses_audit(world, card):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled(), pytest.raises(QualityError) as error:
        raise_dispute(evaluation=evaluation, agent=world.agent2, items=[EMPATHY])
    assert error.value.message == "Only the agent whose work was audited answers its review."
    with scopes_disabled(), pytest.raises(QualityError):
        acknowledge(evaluation=evaluation, agent=world.agent2)
    assert _fresh(evaluation).review_state == ReviewState.PENDING_AGENT


def test_window_passed(world, card):
    turn_disputes_on(world.tenant.org, window_days=7)
    evaluation = released_audit(world)
    with scopes_disabled():
        Evaluation.objects.filter(pk=evaluation.pk).update(
            review_due_at=timezone.now() - timedelta(minutes=1))
        with pytest.raises(QualityError) as error:
            raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
        assert error.value.message.startswith("The review window of this audit closed on ")
        assert close_expired_reviews(organization=world.tenant.org) == 1
        assert close_expired_reviews(organization=world.tenant.org) == 0
    assert _fresh(evaluation).review_state == ReviewState.CLOSED


def test_decided_twice_is_refused(world, card):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
        stale = Dispute.objects.get(pk=dispute.pk)
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Agreed.", "yes")])
        with pytest.raises(QualityError) as error:
            decide_dispute(dispute=stale, reviewer=world.admin, decisions=[
                Decision("empathy", "upheld", "No.")])
    assert error.value.message == "This dispute has already been decided."
    assert _fresh(evaluation).total == 100.0


@pytest.mark.parametrize(("decisions", "field", "message"), [
    ([], "empathy", "Decide every disputed attribute: Empathy."),
    ([Decision("empathy", "upheld", "")], "empathy", "Tell the agent why, for “Empathy”."),
    ([Decision("empathy", "changed", "ok")], "empathy", "Give the new answer for “Empathy”."),
    ([Decision("empathy", "changed", "ok", "no")], "empathy",
     "“Empathy” is already “No”: uphold it instead."),
    ([Decision("empathy", "maybe", "ok")], "empathy", "Uphold or change “Empathy”."),
    ([Decision("greeting", "upheld", "ok")], "greeting",
     "“greeting” is not disputed in this round."),
])
def test_bad_decisions_change_nothing(world, card, decisions, field, message):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
        with pytest.raises(QualityError) as error:
            decide_dispute(dispute=dispute, reviewer=world.qa, decisions=decisions)
        dispute.refresh_from_db()
    assert (error.value.field, error.value.message) == (field, message)
    assert dispute.decided_at is None
    evaluation = _fresh(evaluation)
    assert (evaluation.review_state, evaluation.total) == (ReviewState.PENDING_SUPERVISOR, 80.0)


def test_disputes_off_refuses(world, card):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        update_dispute_settings(organization=world.tenant.org, enabled=False)
        with pytest.raises(QualityError) as error:
            raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert error.value.message == "Disputes are turned off in this organization."


def _posted(world, external_id, *, evaluator):
    """An outside QA system's audit of alice's chat, posted and released through the
    evaluations API's service: every attribute yes except empathy no (80.0)."""
    from quality.services.imports import PostedAnswer, post_evaluation

    with scopes_disabled():
        make_interaction(world.tenant.org, agent=world.agent, external_id=external_id,
                         turns=[("agent", "Hello"), ("customer", "Hi")])
        card = Scorecard.objects.get(organization=world.tenant.org, is_current=True)
        return post_evaluation(
            organization=world.tenant.org, interaction=external_id, evaluator=evaluator,
            release=True,
            answers=[PostedAnswer(a.name, "no" if a.key == "empathy" else "yes")
                     for a in card.attributes.all()])


def test_a_posted_audit_released_at_once_opens_the_review(world, card):
    turn_disputes_on(world.tenant.org, window_days=7)
    evaluation = _fresh(_posted(world, "CHAT-API", evaluator=world.qa.username))
    assert (evaluation.review_state, evaluation.total) == (ReviewState.PENDING_AGENT, 80.0)
    assert evaluation.review_due_at == evaluation.released_at + timedelta(days=7)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert (dispute.round, dispute.reviewer_id) == (1, world.qa.pk)


def test_an_audit_without_an_auditor_is_reviewed_by_the_arbitrator_in_every_round(world, card):
    turn_disputes_on(world.tenant.org, max_rounds=2, arbitrator=world.admin)
    evaluation = _posted(world, "CHAT-NOBODY", evaluator=None)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[EMPATHY])
    assert (dispute.round, dispute.reviewer_id) == (1, world.admin.pk)
