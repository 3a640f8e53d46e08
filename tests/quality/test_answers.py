"""The one writer of answers: validation, the weighted total, history and rollups."""

import pytest
from django_scopes import scopes_disabled

from quality.enums import TOTAL_KEY, EvaluationKind
from quality.models import EvaluationChange, ScoreRollup
from quality.services.answers import AnswerInput, save_answers
from quality.services.errors import QualityError
from quality.services.evaluations import open_evaluation, start_counting

from .conftest import make_interaction, make_scorecard

ALL_YES = {"greeting": "yes", "empathy": "yes", "compliance": "yes",
           "product-knowledge": "yes", "communication": "yes", "etiquette": "yes"}


def _audit(world, answers, *, submit=True):
    org = world.tenant.org
    card = make_scorecard(org)
    item = make_interaction(org, agent=world.agent, external_id="C-1",
                            turns=[("agent", "Hello"), ("customer", "Hi")])
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card,
                                     kind=EvaluationKind.MANUAL, evaluator=world.qa)
        save_answers(evaluation=evaluation, actor=world.qa, require_complete=submit,
                     answers=[AnswerInput(k, v) for k, v in answers.items()])
        if submit:
            evaluation.submit()
            start_counting(evaluation, actor=world.qa, action="submitted")
    return evaluation


def test_total_is_the_weighted_share_of_points_without_na(world):
    evaluation = _audit(world, {**ALL_YES, "empathy": "no", "etiquette": "na"})
    # 10 + 20 + 20 + 15 earned of 85 possible (etiquette's 15 left out)
    assert evaluation.total == pytest.approx(round(100 * 65 / 85, 2))
    assert evaluation.critical_failed is False


def test_a_failed_critical_attribute_makes_the_total_zero(world):
    evaluation = _audit(world, {**ALL_YES, "compliance": "no"})
    assert (evaluation.total, evaluation.critical_failed) == (0.0, True)


def test_submitting_needs_every_attribute_and_writes_nothing_otherwise(world):
    with pytest.raises(QualityError) as refused:
        _audit(world, {"greeting": "yes"})
    assert "“Empathy”" in refused.value.message
    assert refused.value.field == "empathy"


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("greeting", "maybe", "“Greeting” is answered yes, no or na; got 'maybe'."),
    ("nope", "yes", "“nope” is not an attribute of Customer care v1."),
])
def test_bad_answers_name_the_attribute(world, key, raw, message):
    with pytest.raises(QualityError) as refused:
        _audit(world, {key: raw}, submit=False)
    assert refused.value.message == message


def test_rollups_follow_answers_and_changes(world):
    evaluation = _audit(world, ALL_YES)
    with scopes_disabled():
        total = ScoreRollup.objects.get(kind="manual", attribute_key=TOTAL_KEY)
        assert (total.n, total.total, total.agent_id) == (1, 100.0, world.agent.pk)
        save_answers(evaluation=evaluation, actor=world.qa,
                     answers=[AnswerInput("empathy", "no")], note="second look")
        total.refresh_from_db()
        empathy = ScoreRollup.objects.get(kind="manual", attribute_key="empathy")
        assert (total.n, total.total) == (1, 80.0)
        assert (empathy.n, empathy.total, empathy.failures) == (1, 0.0, 1)
        history = list(EvaluationChange.objects.filter(attribute="Empathy")
                       .values_list("before", "after", "note"))
    assert history == [(None, "Yes", ""), ("Yes", "No", "second look")]
