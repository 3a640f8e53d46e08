"""Manual audits: who may audit whom, drafts, submitting, releasing, corrections and
best-response bookmarks."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from quality.enums import TOTAL_KEY, EvaluationKind, EvaluationState
from quality.models import AuditAssignment, BestResponse, Evaluation, ScoreRollup
from quality.services.answers import AnswerInput
from quality.services.audits import (
    bookmark_best_response,
    release_due_audits,
    remove_best_response,
    save_draft,
    start_audit,
    submit_audit,
)
from quality.services.errors import QualityError

from .conftest import make_interaction, make_scorecard

ALL_YES = {"greeting": "yes", "empathy": "yes", "compliance": "yes",
           "product-knowledge": "yes", "communication": "yes", "etiquette": "yes"}


def _answers(values):
    return [AnswerInput(k, v) for k, v in values.items()]


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


@pytest.fixture
def item(world, card):
    return make_interaction(world.tenant.org, agent=world.agent, external_id="C-1",
                            turns=[("agent", "Thank you for calling"), ("customer", "Hi")])


def _history(evaluation):
    with scopes_disabled():
        return [(c.actor.username if c.actor else None, c.action, c.attribute, c.before, c.after)
                for c in evaluation.changes.select_related("actor").order_by("at", "id")]


def _set_quality(org, **values):
    org.settings = {**(org.settings or {}), "quality": values}
    org.save(update_fields=["settings"])


def test_start_audit_opens_one_draft_per_evaluator(world, item, card):
    with scope(organization=world.tenant.org):
        first = start_audit(interaction=item, evaluator=world.qa)
        again = start_audit(interaction=item, evaluator=world.qa)
    assert first.pk == again.pk
    assert (first.kind, first.state, first.scorecard_id, first.agent_id) == (
        EvaluationKind.MANUAL, EvaluationState.DRAFT, card.pk, world.agent.pk)
    assert _history(first) == [("quinn", "started", "", None, "Draft")]


def test_a_coach_audits_only_the_agents_they_coach(world, card):
    org = world.tenant.org
    own = make_interaction(org, agent=world.agent, external_id="C-1")
    other = make_interaction(org, agent=world.agent3, external_id="C-2")
    with scope(organization=org):
        assert start_audit(interaction=own, evaluator=world.coach).evaluator_id == world.coach.pk
        with pytest.raises(QualityError) as refused:
            start_audit(interaction=other, evaluator=world.coach)
        assert refused.value.message == "You may audit only the agents of the teams you coach."
        with pytest.raises(QualityError):
            start_audit(interaction=own, evaluator=world.agent2)
        assert start_audit(interaction=other, evaluator=world.admin).evaluator_id == world.admin.pk


def test_nobody_audits_their_own_interaction(world, card):
    org = world.tenant.org
    mine = make_interaction(org, agent=world.qa, external_id="C-9")
    with scope(organization=org), pytest.raises(QualityError) as refused:
        start_audit(interaction=mine, evaluator=world.qa)
    assert refused.value.message == "You cannot audit your own interactions."


def test_start_audit_without_a_scorecard_says_so(world):
    item = make_interaction(world.tenant.org, agent=world.agent, external_id="C-1", queue="vip")
    with scope(organization=world.tenant.org), pytest.raises(QualityError) as refused:
        start_audit(interaction=item, evaluator=world.qa)
    assert refused.value.message == (
        "There is no scorecard to audit against: add a default scorecard (or one for the "
        "queue “vip”) first.")
    assert refused.value.field == "scorecard"


def test_submit_refuses_an_incomplete_audit_naming_the_attribute_and_writes_nothing(
        world, item):
    with scope(organization=world.tenant.org):
        evaluation = start_audit(interaction=item, evaluator=world.qa)
        with pytest.raises(QualityError) as refused:
            submit_audit(evaluation=evaluation, actor=world.qa,
                         answers=_answers({"greeting": "yes", "empathy": "no"}))
        evaluation.refresh_from_db()
        assert evaluation.answers.count() == 0
    assert refused.value.message == (
        "Answer every attribute before submitting: “Compliance”, “Product knowledge”, "
        "“Communication”, “Etiquette” not answered.")
    assert refused.value.field == "compliance"
    assert evaluation.state == EvaluationState.DRAFT


def test_submit_releases_at_once_by_default_and_completes_the_allocation(world, item):
    org = world.tenant.org
    with scope(organization=org):
        AuditAssignment.objects.create(organization=org, interaction=item, agent=world.agent,
                                       evaluator=world.qa, week=item.opened_at.date())
        evaluation = start_audit(interaction=item, evaluator=world.qa)
        save_draft(evaluation=evaluation, actor=world.qa, comment="Good start",
                   answers=_answers({"greeting": "yes", "empathy": "no"}))
        submitted = submit_audit(evaluation=evaluation, actor=world.qa,
                                 answers=_answers({**ALL_YES, "empathy": "no"}))
        assignment = AuditAssignment.objects.get()
        total = ScoreRollup.objects.get(kind="manual", attribute_key=TOTAL_KEY)
    assert (submitted.state, submitted.total, submitted.comment) == (
        EvaluationState.RELEASED, 80.0, "Good start")
    assert submitted.released_at is not None and submitted.release_at is None
    assert (assignment.evaluation_id, assignment.completed_at is not None) == (
        submitted.pk, True)
    assert (total.n, total.total) == (1, 80.0)
    assert _history(submitted) == [
        ("quinn", "started", "", None, "Draft"),
        ("quinn", "answered", "Greeting", None, "Yes"),
        ("quinn", "answered", "Empathy", None, "No"),
        ("quinn", "commented", "", None, "Good start"),
        ("quinn", "answered", "Compliance", None, "Yes"),
        ("quinn", "answered", "Product knowledge", None, "Yes"),
        ("quinn", "answered", "Communication", None, "Yes"),
        ("quinn", "answered", "Etiquette", None, "Yes"),
        ("quinn", "submitted", "", None, "Submitted"),
        ("quinn", "released", "", "Submitted", "Released"),
    ]


def test_after_delay_the_audit_waits_until_release_due_audits(world, item):
    org = world.tenant.org
    _set_quality(org, release_mode="after_delay", release_delay_hours=24)
    with scope(organization=org):
        evaluation = start_audit(interaction=item, evaluator=world.qa)
        submitted = submit_audit(evaluation=evaluation, actor=world.qa,
                                 answers=_answers(ALL_YES))
        assert submitted.state == EvaluationState.SUBMITTED
        assert timedelta(hours=23, minutes=59) < submitted.release_at - timezone.now() <= \
            timedelta(hours=24)
        assert release_due_audits(organization=org) == 0
        Evaluation.objects.filter(pk=submitted.pk).update(
            release_at=timezone.now() - timedelta(minutes=1))
        assert release_due_audits(organization=org) == 1
        assert release_due_audits(organization=org) == 0
        submitted.refresh_from_db()
    assert submitted.state == EvaluationState.RELEASED
    assert _history(submitted)[-2:] == [
        ("quinn", "submitted", "", None, "Submitted"),
        (None, "released", "", "Submitted", "Released"),
    ]


def test_a_submitted_audit_is_corrected_with_history_and_rollups(world, item):
    org = world.tenant.org
    with scope(organization=org):
        evaluation = submit_audit(evaluation=start_audit(interaction=item, evaluator=world.coach),
                                  actor=world.coach, answers=_answers(ALL_YES))
        save_draft(evaluation=evaluation, actor=world.qa,
                   answers=_answers({"etiquette": "no"}))
        with pytest.raises(QualityError) as refused:
            save_draft(evaluation=evaluation, actor=world.qa,
                       answers=_answers({"etiquette": ""}))
        with pytest.raises(QualityError):
            save_draft(evaluation=evaluation, actor=world.coach2,
                       answers=_answers({"etiquette": "yes"}))
        evaluation.refresh_from_db()
        total = ScoreRollup.objects.get(kind="manual", attribute_key=TOTAL_KEY)
    assert "“Etiquette” not answered" in refused.value.message
    assert (evaluation.total, total.n, total.total) == (85.0, 1, 85.0)
    assert _history(evaluation)[-1] == ("quinn", "edited", "Etiquette", "Yes", "No")


def test_only_the_auditor_sees_and_changes_a_draft(world, item):
    with scope(organization=world.tenant.org):
        evaluation = start_audit(interaction=item, evaluator=world.coach)
        with pytest.raises(QualityError) as refused:
            save_draft(evaluation=evaluation, actor=world.qa, answers=_answers(ALL_YES))
    assert refused.value.message == "Only the auditor or a QA analyst may change this audit."


def test_bookmark_best_response_once_per_attribute(world, item):
    with scope(organization=world.tenant.org):
        saved = bookmark_best_response(interaction=item, attribute_key="empathy",
                                       actor=world.qa, note="Calm apology")
        with pytest.raises(QualityError) as refused:
            bookmark_best_response(interaction=item, attribute_key="empathy", actor=world.coach)
        with pytest.raises(QualityError) as unknown:
            bookmark_best_response(interaction=item, attribute_key="nope", actor=world.qa)
        with pytest.raises(QualityError):
            remove_best_response(best_response=saved, actor=world.coach)
        remove_best_response(best_response=saved, actor=world.admin)
        remaining = BestResponse.objects.count()
    assert (saved.attribute_name, saved.note) == ("Empathy", "Calm apology")
    assert refused.value.message == "C-1 is already a best response for “Empathy”."
    assert unknown.value.message == "“nope” is not an attribute of a current scorecard."
    assert remaining == 0


def test_the_beat_task_releases_due_audits_of_every_tenant(world, item, tasks_in_process):
    from quality.tasks import release_due_audits as beat

    org = world.tenant.org
    _set_quality(org, release_mode="after_delay", release_delay_hours=1)
    with scope(organization=org):
        evaluation = submit_audit(evaluation=start_audit(interaction=item, evaluator=world.qa),
                                  actor=world.qa, answers=_answers(ALL_YES))
        Evaluation.objects.filter(pk=evaluation.pk).update(
            release_at=timezone.now() - timedelta(seconds=1))
    assert beat() == 2  # one task per organization
    with scopes_disabled():
        evaluation.refresh_from_db()
    assert evaluation.state == EvaluationState.RELEASED
