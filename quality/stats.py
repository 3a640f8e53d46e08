"""Intervals for the numbers dashboards show: every aggregate carries its n and a 95 %
interval, computed from the running sums the rollups keep (n, sum, sum of squares).

- a mean: Student's t-interval, ``mean ± t(0.975, n−1) · s / √n``;
- a proportion (pass rate of a yes/no attribute): the Wilson score interval;
- a weighted combination of attribute means (the verified-only automatic score): the
  weighted mean with ``se² = Σ c²·s²/n`` (attributes taken as independent) and t on the
  smallest attribute's n − 1 degrees of freedom.
"""

import functools
import math
from dataclasses import dataclass

from tenancy.lazy import lazy_module

_scipy_stats = lazy_module("scipy.stats")  # imported on first use, not at start-up

CONFIDENCE = 0.95
Z = 1.959963984540054  # scipy.stats.norm.ppf(0.975); tests/test_lean_startup.py checks it


@functools.lru_cache(maxsize=4096)
def t_quantile(df: int) -> float:
    """The two-sided 95 % critical value of Student's t with ``df`` degrees of freedom."""
    return float(_scipy_stats.t.ppf(1 - (1 - CONFIDENCE) / 2, df))


def _variance(n: float, s: float, ss: float) -> float:
    """The sample variance from running sums. Equal values may leave a rounding residue
    (±1e-17) that would show as an interval: below 1e-12 of the mean square it is 0."""
    variance = (ss - s * s / n) / (n - 1)
    return variance if variance > 1e-12 * max(1.0, ss / n) else 0.0


def mean_interval(n: float, s: float, ss: float) -> tuple[float | None, float | None,
                                                          float | None]:
    """``(mean, low, high)`` of values with count ``n``, sum ``s`` and sum of squares
    ``ss``. No interval below two values (``(mean, None, None)``); all ``None`` for none."""
    if n <= 0:
        return None, None, None
    mean = s / n
    if n < 2:
        return mean, None, None
    half = t_quantile(int(n) - 1) * math.sqrt(_variance(n, s, ss) / n)
    return mean, mean - half, mean + half


def wilson_interval(successes: float, n: float) -> tuple[float | None, float | None,
                                                          float | None]:
    """``(share, low, high)`` of ``successes`` out of ``n``: the Wilson score interval,
    which stays inside 0…1 and is honest at small n and at 0 % or 100 %."""
    if n <= 0:
        return None, None, None
    p = successes / n
    z2 = Z * Z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def weighted_mean_interval(
    parts: list[tuple[float, float, float, float]],
) -> tuple[float | None, float | None, float | None]:
    """``(mean, low, high)`` of ``Σ w·mean_i / Σ w`` for parts ``(w, n, s, ss)``.

    Parts with no values are left out of both sides (as an N/A answer is left out of an
    evaluation's total). No interval when any part has fewer than two values.
    """
    used = [(w, n, s, ss) for w, n, s, ss in parts if n > 0 and w > 0]
    if not used:
        return None, None, None
    weight = sum(w for w, *_ in used)
    mean = sum(w * s / n for w, n, s, _ in used) / weight
    if min(n for _, n, _, _ in used) < 2:
        return mean, None, None
    se2 = sum((w / weight) ** 2 * _variance(n, s, ss) / n for w, n, s, ss in used)
    half = t_quantile(int(min(n for _, n, _, _ in used)) - 1) * math.sqrt(se2)
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class Estimate:
    """One number a person may act on: its value, 95 % interval and n, on a 0–100 scale.

    ``enough``: n reaches the tenant's minimum; below it pages say "too few reviews to
    act" instead of a bold number. ``rate``: a pass rate (Wilson) rather than a mean.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    enough: bool
    rate: bool = False

    @property
    def has_value(self) -> bool:
        return self.value is not None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None


def scaled(triple: tuple, *, n: float, minimum: int, factor: float = 1.0,
           rate: bool = False, bounds: tuple[float, float] = (0.0, 100.0)) -> Estimate:
    """An :class:`Estimate` from a ``(value, low, high)`` triple, multiplied by
    ``factor`` (points 0–1 → percent); the interval is cut to ``bounds`` (a score cannot
    leave 0–100, though a t-interval of few values can)."""
    value, low, high = (None if x is None else x * factor for x in triple)
    if low is not None:
        low, high = max(bounds[0], low), min(bounds[1], high)
    return Estimate(value=value, low=low, high=high, n=int(n), enough=n >= minimum, rate=rate)


NONE = Estimate(value=None, low=None, high=None, n=0, enough=False)
