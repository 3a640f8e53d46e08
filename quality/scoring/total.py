"""The weighted total of an evaluation, from its answers — the one formula every scorer,
audit, API and dashboard uses."""

from collections.abc import Iterable
from typing import Protocol


class Scored(Protocol):
    weight: int
    critical: bool

    def points(self, value: int) -> float: ...


def weighted_total(answers: Iterable[tuple[Scored, int | None, bool]]) -> tuple[float | None, bool]:
    """``(total 0–100 or None, critical_failed)`` for ``(attribute, value, na)`` triples.

    N/A and unanswered attributes are left out of both sides of the weighted mean; a
    critical attribute whose answer earns no points (no, or 0 on a scale) makes the total 0.
    ``None`` when no weighted attribute was answered.
    """
    earned = 0.0
    possible = 0
    critical_failed = False
    for attribute, value, na in answers:
        if na or value is None:
            continue
        points = attribute.points(value)
        if attribute.critical and points <= 0:
            critical_failed = True
        earned += attribute.weight * points
        possible += attribute.weight
    if critical_failed:
        return 0.0, True
    if possible == 0:
        return None, False
    return round(100 * earned / possible, 2), False
