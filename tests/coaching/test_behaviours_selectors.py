"""The interface of behaviour coaching that plans and advice code against:
``behaviour_score`` (verified-only automatic answers, else audits; Wilson for yes/no,
t for scales) and ``weakest_interactions`` (failed answers, newest first, audits before
automatic answers, each interaction once). Data goes through the real answer writer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.selectors_behaviours import behaviour_score, weakest_interactions
from quality.enums import EvaluationKind
from quality.models import AttributeAgreement
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from quality.stats import wilson_interval
from tests.quality.conftest import make_interaction, make_scorecard

from .assignment_fixtures import ALL_YES, aw_fixture  # noqa: F401

_counter = iter(range(1, 1_000_000))


def evaluate(world, agent, answers, *, kind=EvaluationKind.MANUAL, hours_ago=1,
             scorer="rule:1", item=None, card=None):
    """One counted evaluation through the real writer (an audit by default)."""
    org = world.tenant.org
    card = card or world.card
    if item is None:
        item = make_interaction(org, agent=agent, external_id=f"B-{next(_counter)}",
                                queue="Billing",
                                opened_at=timezone.now() - timedelta(hours=hours_ago))
    auto = kind == EvaluationKind.AUTO
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card, kind=kind,
                                     evaluator=None if auto else world.qa,
                                     scorer=scorer if auto else "")
        save_answers(evaluation=evaluation, actor=None, require_complete=True, answers=[
            AnswerInput(key, value, scorer=scorer if auto else "")
            for key, value in {**ALL_YES, **answers}.items()])
        if auto:
            evaluation.publish()
        else:
            evaluation.submit()
        start_counting(evaluation, actor=None, action="scored")
    return evaluation


def verify(world, key, scorer="rule:1"):
    with scopes_disabled():
        AttributeAgreement.objects.create(
            organization=world.tenant.org, scorecard_key=world.card.key, attribute_key=key,
            scorer=scorer, pairs=40, agreement=0.9, kappa=0.8, verified=True)


def period():
    today = timezone.localdate()
    return today - timedelta(days=6), today


def test_behaviour_score_is_the_audits_pass_rate_with_wilson_interval(aw):
    for value in ("yes", "yes", "yes", "no"):
        evaluate(aw, aw.agent, {"empathy": value})
    evaluate(aw, aw.agent2, {"empathy": "no"})  # another agent: not counted
    with scopes_disabled():
        score = behaviour_score(aw.tenant.org, aw.agent, "empathy", *period())
    _, low, high = wilson_interval(3, 4)
    assert (score.value, score.n, score.rate, score.enough) == (75.0, 4, True, False)
    assert score.low == pytest.approx(100 * low) and score.high == pytest.approx(100 * high)
    assert (round(score.low, 2), round(score.high, 2)) == (30.06, 95.44)


def test_behaviour_score_counts_only_verified_automatic_answers(aw):
    evaluate(aw, aw.agent, {"greeting": "no"})  # an audit
    for value in ("no", "no", "yes"):
        evaluate(aw, aw.agent, {"greeting": value}, kind=EvaluationKind.AUTO)
    with scopes_disabled():
        unverified = behaviour_score(aw.tenant.org, aw.agent, "greeting", *period())
        verify(aw, "greeting")
        verified = behaviour_score(aw.tenant.org, aw.agent, "greeting", *period())
    assert (unverified.value, unverified.n) == (0.0, 1)  # the audit only
    assert (round(verified.value, 4), verified.n) == (33.3333, 3)  # the automatic ones only


def test_behaviour_score_keeps_to_the_period_and_says_none_without_answers(aw):
    evaluate(aw, aw.agent, {"empathy": "no"}, hours_ago=24 * 10)
    with scopes_disabled():
        score = behaviour_score(aw.tenant.org, aw.agent, "empathy", *period())
        older = behaviour_score(aw.tenant.org, aw.agent, "empathy",
                                timezone.localdate() - timedelta(days=12),
                                timezone.localdate())
    assert (score.value, score.low, score.high, score.n) == (None, None, None, 0)
    assert (older.value, older.n) == (0.0, 1)


def test_behaviour_score_of_a_scale_is_its_mean_points(aw):
    card = make_scorecard(aw.tenant.org, key="scaled", default=False, attributes=[
        ("tone", "Talk", "Tone", 10, False, None, ("scale", 4))])
    with scopes_disabled():
        aw.card.is_default = False
        aw.card.save(update_fields=["is_default"])
        card.is_default = True
        card.save(update_fields=["is_default"])
    for value in (4, 2):
        org = aw.tenant.org
        item = make_interaction(org, agent=aw.agent, external_id=f"S-{value}",
                                opened_at=timezone.now() - timedelta(hours=2))
        with scopes_disabled():
            evaluation = open_evaluation(interaction=item, scorecard=card,
                                         kind=EvaluationKind.MANUAL, evaluator=aw.qa)
            save_answers(evaluation=evaluation, actor=None, answers=[AnswerInput("tone", value)])
            evaluation.submit()
            start_counting(evaluation, actor=None, action="scored")
    with scopes_disabled():
        score = behaviour_score(aw.tenant.org, aw.agent, "tone", *period())
    assert (score.value, score.n, score.rate) == (75.0, 2, False)
    # t(0.975, 1) = 12.7062; s = 0.3536 points → ±3.1766 × 100, cut to 0–100.
    assert (score.low, score.high) == (0.0, 100.0)


def test_weakest_interactions_newest_first_audit_before_automatic_once_each(aw):
    old = evaluate(aw, aw.agent, {"empathy": "no"}, hours_ago=30)
    evaluate(aw, aw.agent, {"empathy": "yes"}, hours_ago=2)
    newest = evaluate(aw, aw.agent, {"empathy": "no"}, hours_ago=1)
    # The same interaction scored automatically (verified) and audited: the audit.
    middle = evaluate(aw, aw.agent, {"empathy": "no"}, hours_ago=5)
    evaluate(aw, aw.agent, {"empathy": "no"}, kind=EvaluationKind.AUTO,
             item=middle.interaction)
    auto_only = evaluate(aw, aw.agent, {"empathy": "no"}, kind=EvaluationKind.AUTO,
                         hours_ago=3)
    evaluate(aw, aw.agent2, {"empathy": "no"})  # another agent
    with scopes_disabled():
        unverified = weakest_interactions(aw.tenant.org, aw.agent, "empathy", limit=3)
        verify(aw, "empathy")
        verified = weakest_interactions(aw.tenant.org, aw.agent, "empathy", limit=3)
        everything = weakest_interactions(aw.tenant.org, aw.agent, "empathy", limit=10)
    assert [(i.pk, e.pk) for i, e in unverified] == [
        (newest.interaction_id, newest.pk), (middle.interaction_id, middle.pk),
        (old.interaction_id, old.pk)]
    assert [(i.pk, e.pk) for i, e in verified] == [
        (newest.interaction_id, newest.pk), (auto_only.interaction_id, auto_only.pk),
        (middle.interaction_id, middle.pk)]
    assert len(everything) == 4


def test_weakest_interactions_of_another_tenant_are_empty(aw):
    evaluate(aw, aw.agent, {"empathy": "no"})
    with scopes_disabled():
        assert weakest_interactions(aw.other.org, aw.agent, "empathy") == []
