"""Agreement between several raters of the same units, the way reliability research measures
it: Krippendorff's α (the ``krippendorff`` package; any number of raters, missing ratings
allowed) with a bootstrap interval over units, pairwise percent agreement, and how far one
rater is from a reference answer and from the other raters.

Pure functions over a *matrix*: one row per rater, one column per unit (an interaction), a
number or ``None`` (no rating: not scored, or N/A). Nothing here reads the database.

α reads (Krippendorff, "Content Analysis", 2004, and "Computing Krippendorff's
alpha-reliability", 2011): α ≥ 0.8 reliable, 0.667 ≤ α < 0.8 for tentative conclusions
only, below 0.667 unreliable. α is undefined when every rating has the same value (there is
no variation to agree on) or fewer than two ratings share a unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from tenancy.lazy import lazy_module

from .enums import ALPHA_RELIABLE, ALPHA_TENTATIVE

# Imported on first use: web workers start without them.
krippendorff = lazy_module("krippendorff")
np = lazy_module("numpy")

LEVELS = ("nominal", "ordinal", "interval", "ratio")
BOOTSTRAP_SAMPLES = 1000
Matrix = Sequence[Sequence[float | None]]


@dataclass(frozen=True)
class AlphaResult:
    """α with its bootstrap 95 % interval (``None`` when undefined), over ``units`` units
    holding two or more ratings, ``ratings`` ratings in them, from ``raters`` raters."""

    alpha: float | None
    low: float | None
    high: float | None
    units: int
    ratings: int
    raters: int
    reason: str = ""  # why α is undefined, in words


def _array(matrix: Matrix) -> np.ndarray:
    return np.array([[np.nan if v is None else float(v) for v in row] for row in matrix],
                    dtype=float).reshape(len(matrix), -1)


def _pairable(data: np.ndarray) -> np.ndarray:
    """The columns (units) with at least two ratings: only those carry information."""
    if data.size == 0:
        return data
    return data[:, (~np.isnan(data)).sum(axis=0) >= 2]


def _alpha(data: np.ndarray, level: str, domain) -> float | None:
    values = data[~np.isnan(data)]
    if data.shape[1] == 0 or np.unique(values).size < 2:
        return None
    value = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                               value_domain=domain)
    return None if math.isnan(value) else float(value)


def alpha(matrix: Matrix, level: str, *, samples: int = BOOTSTRAP_SAMPLES,
          seed: int = 0) -> AlphaResult:
    """Krippendorff's α of ``matrix`` at ``level`` (nominal for yes/no answers, ordinal for
    scales, interval for totals), and a percentile bootstrap 95 % interval: the units
    (columns) are resampled with replacement ``samples`` times (seeded: the same data give
    the same interval); resamples without variation are left out."""
    if level not in LEVELS:
        raise ValueError(f"Unknown level of measurement “{level}”.")
    data = _pairable(_array(matrix))
    raters = int((~np.isnan(data)).any(axis=1).sum()) if data.size else 0
    units = data.shape[1] if data.ndim == 2 else 0
    ratings = int((~np.isnan(data)).sum()) if data.size else 0
    if units == 0:
        return AlphaResult(None, None, None, 0, 0, raters,
                           "No interaction has answers from two raters.")
    values = data[~np.isnan(data)]
    domain = np.unique(values)
    if domain.size < 2:
        return AlphaResult(None, None, None, units, ratings, raters,
                           "Every answer was the same: there is no variation to agree on.")
    domain_arg = domain if level in ("nominal", "ordinal") else None
    point = _alpha(data, level, domain_arg)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(samples):
        sample = data[:, rng.integers(0, units, units)]
        value = _alpha(sample, level, domain_arg)
        if value is not None:
            boot.append(value)
    low = high = None
    if samples and len(boot) >= samples // 2:
        low, high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return AlphaResult(point, low, high, units, ratings, raters)


def percent_agreement(matrix: Matrix) -> float | None:
    """The share of agreeing pairs among all pairs of ratings of the same unit (exact
    match), over every unit: 0…1, ``None`` when no unit has two ratings."""
    agree = pairs = 0
    columns = list(zip(*matrix, strict=True)) if matrix else []
    for column in columns:
        rated = [v for v in column if v is not None]
        for first, second in combinations(rated, 2):
            pairs += 1
            agree += first == second
    return agree / pairs if pairs else None


@dataclass(frozen=True)
class Deviation:
    """One rater's distance, in points of 100, from the reference answers (``from_final``;
    ``disagree_final`` the share of answers unlike it) and from the other raters' mean
    (``from_group``), over ``n`` units they rated."""

    n: int
    from_final: float | None
    disagree_final: float | None
    from_group: float | None


def deviation(matrix: Matrix, row: int, reference: Sequence[float | None] | None, *,
              scale: float) -> Deviation:
    """Rater ``row``'s deviation. Values are on ``0…scale`` (1 for yes/no, N for a 0–N
    scale, 100 for totals) and reported in points of 100. A unit counts toward the final
    answer when both the rater and the reference have a value, toward the group when the
    rater and at least one other rater do."""
    own = matrix[row]
    to_final: list[float] = []
    to_group: list[float] = []
    n = 0
    for unit, value in enumerate(own):
        if value is None:
            continue
        n += 1
        if reference is not None and reference[unit] is not None:
            to_final.append(abs(value - reference[unit]) / scale * 100)
        others = [r[unit] for i, r in enumerate(matrix) if i != row and r[unit] is not None]
        if others:
            to_group.append(abs(value - sum(others) / len(others)) / scale * 100)
    return Deviation(
        n=n,
        from_final=sum(to_final) / len(to_final) if to_final else None,
        disagree_final=(sum(1 for d in to_final if d > 1e-9) / len(to_final)
                        if to_final else None),
        from_group=sum(to_group) / len(to_group) if to_group else None,
    )


def reading(value: float | None) -> str:
    """Krippendorff's reading of an α, in words."""
    if value is None:
        return "undefined"
    if value >= ALPHA_RELIABLE:
        return "reliable"
    if value >= ALPHA_TENTATIVE:
        return "tentative"
    return "unreliable"
