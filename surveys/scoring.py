"""How a survey is scored — the one place the rule lives (the UI explains the same rule).

1. Each answered *scored* question is normalised to 0–100:

   * rating scale from ``min`` to ``max``: ``(value − min) / (max − min) × 100``
     (1 on a 1–5 scale is 0, 3 is 50, 5 is 100);
   * yes / no: yes is 100, no is 0;
   * single choice: the points (0–100) the template gives the chosen option.

2. The survey score is the weighted mean of those values:
   ``Σ(weight × value) / Σ(weight)`` over the answered scored questions.

3. Free-text questions, questions answered “not applicable” and optional questions left
   blank are out of the denominator: they neither raise nor lower the score.

4. A survey with no answered scored question has **no score** (``None``), never 0.

Scores are rounded half up to two decimals.
"""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from .enums import QuestionKind

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def normalise_rating(value: int, *, scale_min: int, scale_max: int) -> Decimal:
    return _round(Decimal(value - scale_min) * HUNDRED / Decimal(scale_max - scale_min))


def normalise_answer(
    *, kind: str, rating: int | None = None, yes: bool | None = None,
    choice_score: int | None = None, scale_min: int = 0, scale_max: int = 0,
) -> Decimal | None:
    """The 0–100 value of one answer, or ``None`` when the answer does not count."""
    if kind == QuestionKind.RATING and rating is not None:
        return normalise_rating(rating, scale_min=scale_min, scale_max=scale_max)
    if kind == QuestionKind.YES_NO and yes is not None:
        return HUNDRED if yes else Decimal(0)
    if kind == QuestionKind.CHOICE and choice_score is not None:
        return _round(Decimal(choice_score))
    return None


def weighted_score(values: Iterable[tuple[int, Decimal | None]]) -> Decimal | None:
    """Weighted mean of ``(weight, value)`` pairs; ``None`` values are left out.

    Returns ``None`` when nothing counts (no scored answers), never 0.
    """
    total = Decimal(0)
    weights = 0
    for weight, value in values:
        if value is None:
            continue
        total += Decimal(weight) * value
        weights += weight
    if weights == 0:
        return None
    return _round(total / Decimal(weights))
