from decimal import Decimal

from surveys.enums import QuestionKind
from surveys.scoring import normalise_answer, normalise_rating, weighted_score


def test_normalise_rating_maps_scale_ends_to_0_and_100():
    assert normalise_rating(1, scale_min=1, scale_max=5) == Decimal("0.00")
    assert normalise_rating(3, scale_min=1, scale_max=5) == Decimal("50.00")
    assert normalise_rating(5, scale_min=1, scale_max=5) == Decimal("100.00")
    assert normalise_rating(7, scale_min=0, scale_max=10) == Decimal("70.00")
    assert normalise_rating(2, scale_min=1, scale_max=4) == Decimal("33.33")


def test_normalise_answer_per_kind():
    assert normalise_answer(kind=QuestionKind.YES_NO, yes=True) == Decimal(100)
    assert normalise_answer(kind=QuestionKind.YES_NO, yes=False) == Decimal(0)
    assert normalise_answer(kind=QuestionKind.CHOICE, choice_score=40) == Decimal("40.00")
    assert normalise_answer(kind=QuestionKind.TEXT) is None
    assert normalise_answer(kind=QuestionKind.RATING) is None


def test_weighted_score_weights_and_leaves_out_unscored():
    # (2×75 + 1×100 + 1×40) / 4 = 72.5
    assert weighted_score([(2, Decimal(75)), (1, Decimal(100)), (1, Decimal(40))]) == Decimal(
        "72.50"
    )
    # N/A (None) is out of the denominator: (2×75 + 1×40) / 3 = 63.333…
    assert weighted_score([(2, Decimal(75)), (1, None), (1, Decimal(40))]) == Decimal("63.33")


def test_weighted_score_without_scored_answers_is_none_not_zero():
    assert weighted_score([]) is None
    assert weighted_score([(3, None), (1, None)]) is None
    assert weighted_score([(1, Decimal(0))]) == Decimal("0.00")
