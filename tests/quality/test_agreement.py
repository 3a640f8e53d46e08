"""Humans gate the machine: agreement between the automatic scorers and audits, per
attribute and scorer, on a hand-computed example; the verified flag at the tenant's bar."""

import pytest
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import AttributeAgreement
from quality.selectors import attribute_status
from quality.services.agreement import (
    cohen_kappa,
    percent_agreement,
    refresh_agreement,
    schedule_agreement_refresh,
)
from quality.services.answers import AnswerInput, save_answers
from quality.services.autoscore import score_interaction
from quality.services.evaluations import open_evaluation, start_counting

from .conftest import calibration_item, make_interaction, make_scorecard

GREETED = [("agent", "Thank you for calling, how can I help?"), ("customer", "Hi.")]
NOT_GREETED = [("agent", "Yes?"), ("customer", "Hi.")]


def audit(world, item, card, answers, *, kind=EvaluationKind.MANUAL):
    calibration = None
    if kind == EvaluationKind.CALIBRATION:
        calibration = calibration_item(world, item, card=card)
    evaluation = open_evaluation(interaction=item, scorecard=card, kind=kind,
                                 evaluator=world.qa, calibration_item=calibration)
    save_answers(evaluation=evaluation, actor=world.qa,
                 answers=[AnswerInput(k, v) for k, v in answers.items()])
    evaluation.submit()
    start_counting(evaluation, actor=world.qa, action="submitted")
    return evaluation


def _set(org, **quality):
    org.settings = {"quality": quality}
    org.save()


def _example(world):
    """10 interactions. Rules say greeting yes on 6, no on 4; auditors say yes on 5 of the
    first 6 and on 1 of the other 4: agreement 8/10, p_e = .6·.6 + .4·.4 = .52,
    κ = (.8 − .52) / (1 − .52) = 7/12."""
    org = world.tenant.org
    card = make_scorecard(org)
    human = ["yes"] * 5 + ["no"] + ["yes"] + ["no"] * 3
    with scopes_disabled():
        for n, said in enumerate(human):
            item = make_interaction(org, agent=world.agent, external_id=f"C-{n}",
                                    turns=GREETED if n < 6 else NOT_GREETED)
            score_interaction(interaction=item)
            if n == 6:  # an earlier audit said no; the latest audit counts
                audit(world, item, card, {"greeting": "no"})
            audit(world, item, card, {"greeting": said, "etiquette": "na"})
            if n == 0:  # calibration never counts
                audit(world, item, card, {"greeting": "no"}, kind=EvaluationKind.CALIBRATION)
    return card


def test_agreement_and_kappa_on_a_hand_computed_example(world):
    _example(world)
    org = world.tenant.org
    with scopes_disabled():
        refresh_agreement(organization=org)
        greeting = AttributeAgreement.objects.get(attribute_key="greeting")
        etiquette = AttributeAgreement.objects.get(attribute_key="etiquette")
    assert (greeting.scorecard_key, greeting.scorer, greeting.pairs) == (
        "customer-care", "rules:1", 10)
    assert greeting.agreement == 0.8
    assert greeting.kappa == pytest.approx(7 / 12, abs=1e-6)
    assert greeting.verified is False  # 10 pairs < 30
    # Etiquette: the auditors said N/A, the rule said no on all 10 ("anything else" never
    # said) — N/A is a category of its own: no agreement, both constant → κ 0.
    assert (etiquette.pairs, etiquette.agreement, etiquette.kappa) == (10, 0.0, 0.0)


@pytest.mark.parametrize(("pairs", "kappa", "verified"), [
    (10, 0.58, True), (10, 0.59, False), (11, 0.58, False),
])
def test_verified_at_the_tenants_bar(world, pairs, kappa, verified):
    _example(world)
    org = world.tenant.org
    _set(org, verify_min_pairs=pairs, verify_min_kappa=kappa)
    with scopes_disabled():
        refresh_agreement(organization=org)
        greeting = AttributeAgreement.objects.get(attribute_key="greeting")
        status = attribute_status(org)
    assert greeting.verified is verified
    assert status[("customer-care", "greeting")] == {
        "scorer": "rules:1", "pairs": 10, "agreement": 0.8, "kappa": greeting.kappa,
        "verified": verified,
    }


def test_refresh_removes_rows_without_pairs_and_is_scheduled_after_commit(
    world, django_capture_on_commit_callbacks
):
    org = world.tenant.org
    with scopes_disabled():
        AttributeAgreement.objects.create(organization=org, scorecard_key="old",
                                          attribute_key="gone", scorer="rules:1", pairs=3)
        assert refresh_agreement(organization=org) == []
        assert AttributeAgreement.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        schedule_agreement_refresh(org)
    assert len(callbacks) == 1


def test_kappa_definitions():
    assert cohen_kappa([], []) is None
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) == 1.0
    assert cohen_kappa([1, 1, 1], [0, 0, 0]) == 0.0
    assert cohen_kappa(["na", 1, 0, 1], ["na", 1, 0, 1]) == 1.0
    # Quadratic weights on a 0–2 scale, by hand: pairs (0,0) (1,2) (2,2) (2,1) with
    # w(i,j) = (i−j)²/4 give observed Σw·o = (1/4 + 1/4)/4 = 0.125; both marginals are
    # (1/4, 1/4, 1/2), so expected Σw·e = 0.34375; κ = 1 − 0.125/0.34375 = 7/11.
    assert cohen_kappa([0, 1, 2, 2], [0, 2, 2, 1], weighted=True) == pytest.approx(7 / 11)
    assert percent_agreement([0, 1, 2, 2], [0, 2, 2, 1]) == 0.5


def test_kappa_when_only_one_rater_answers_na():
    # Labels 0, 1, na: observed 3/4; expected 1/2·1/2 + 1/2·1/4 = 3/8; κ = (3/4 − 3/8)/(5/8).
    assert cohen_kappa([1, 0, 1, 0], [1, "na", 1, 0]) == pytest.approx(0.6)


def test_weighted_kappa_orders_scale_values_as_numbers():
    # 2, 9, 10 are steps 0, 1, 2 (not "10" < "2" < "9"): observed Σw·o = (1/4 + 1/4)/3,
    # expected Σw·e = 12/36, κ = 1 − (1/6)/(1/3) = 0.5 (string order would give −1).
    assert cohen_kappa([2, 9, 10], [2, 10, 9], weighted=True) == pytest.approx(0.5)
