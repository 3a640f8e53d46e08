"""Did coaching work? A difference-in-differences estimate with a bootstrap interval.

Pure numpy, no Django: it takes, per agent, the running sums (n, sum, sum of squares) of a
score on a 0–100 scale *before* and *after* coaching, for the coached agents and for
comparable agents who were not coached, and returns the estimate, its 95 % interval and a
plain verdict. Coaching assignments, assessments and coaching plans all use it; the reads
that build the series are in :mod:`coaching.selectors_monitor`.

The estimate is ``(coached after − coached before) − (comparison after − comparison
before)``, each side the mean over agents of the agent's own change, so every agent counts
once however many interactions it had, and a trend the whole team shares cancels out.

The interval is a seeded percentile bootstrap, vectorised (``resamples`` draws at once):

- comparison agents are resampled with replacement — a cluster bootstrap: an agent's
  interactions stay together, so the draws carry both sampling noise and agent drift;
- two or more coached agents: their mean change with Student's t spread (``s/√k``, k − 1
  degrees of freedom) — a percentile bootstrap of a handful of agents is too narrow;
- a single coached agent's change is redrawn from a normal with its own sampling variance
  (``s²/n`` before plus after) plus the variance of agents' changes that the comparison
  group shows beyond sampling (agents drift even without coaching).

The simulation tests (tests/coaching/test_did.py) hold it to this: a planted effect is
found, no effect covers 0 in at least 93 of 100 seeded runs, a team-wide trend is not
credited.

Agents with fewer than ``min_n`` scores in either period are left out. With no coached
agent left, or fewer than ``min_comparison`` comparison agents, the verdict is "too
little data to tell" and there is no estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tenancy.lazy import lazy_module

np = lazy_module("numpy")  # imported on first use: web workers start without it

MIN_N = 3
MIN_COMPARISON = 3
RESAMPLES = 2000
SEED = 17
# Comparison agents are those whose level before is within this many points of the
# coached agent's; when fewer are, the nearest ones.
SIMILAR_WITHIN = 15.0
SIMILAR_AT_LEAST = 5
SIMILAR_AT_MOST = 30

IMPROVED = "improved"
NO_CHANGE = "no measurable change"
WORSE = "got worse"
TOO_LITTLE = "too little data to tell"


@dataclass(frozen=True)
class Sums:
    """Running sums of scores (0–100) over a period."""

    n: float = 0
    total: float = 0.0
    total_sq: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float:
        """The sample variance (0 below two scores)."""
        if self.n < 2:
            return 0.0
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))


@dataclass(frozen=True)
class AgentSeries:
    """One agent's score before and after (for a comparison agent: over the same days)."""

    agent_id: int
    before: Sums
    after: Sums


@dataclass(frozen=True)
class Effect:
    """What :func:`estimate_effect` found. Means are of agents' means, 0–100."""

    verdict: str
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    coached_before: float | None = None
    coached_after: float | None = None
    comparison_before: float | None = None
    comparison_after: float | None = None
    coached_agents: int = 0
    comparison_agents: int = 0
    coached_n: tuple[int, int] = (0, 0)  # scores before, after
    comparison_n: tuple[int, int] = (0, 0)
    units: int = 1  # coachings pooled into this estimate
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def has_estimate(self) -> bool:
        return self.estimate is not None

    @property
    def coached_change(self) -> float | None:
        if self.coached_before is None or self.coached_after is None:
            return None
        return self.coached_after - self.coached_before

    @property
    def comparison_change(self) -> float | None:
        if self.comparison_before is None or self.comparison_after is None:
            return None
        return self.comparison_after - self.comparison_before


def verdict_of(low: float, high: float) -> str:
    if low > 0:
        return IMPROVED
    if high < 0:
        return WORSE
    return NO_CHANGE


def _arrays(series: Sequence[AgentSeries]) -> np.ndarray:
    """``(k, 6)``: n, sum, sum of squares before, then after."""
    if not series:
        return np.zeros((0, 6))
    return np.array([(s.before.n, s.before.total, s.before.total_sq,
                      s.after.n, s.after.total, s.after.total_sq) for s in series], dtype=float)


def _usable(data: np.ndarray, min_n: int) -> np.ndarray:
    return data[(data[:, 0] >= min_n) & (data[:, 3] >= min_n)] if len(data) else data


def _counts(data: np.ndarray) -> tuple[int, int]:
    return (int(data[:, 0].sum()), int(data[:, 3].sum())) if len(data) else (0, 0)


def _means_and_sampling(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per agent: mean before, mean after, sampling variance of the change."""
    n0, s0, q0, n1, s1, q1 = data.T
    m0, m1 = s0 / n0, s1 / n1
    v0 = np.clip((q0 - s0 * s0 / n0) / np.maximum(n0 - 1, 1), 0, None)
    v1 = np.clip((q1 - s1 * s1 / n1) / np.maximum(n1 - 1, 1), 0, None)
    return m0, m1, v0 / n0 + v1 / n1


def _cluster_draws(rng: np.random.Generator, changes: np.ndarray, resamples: int) -> np.ndarray:
    """Means of ``changes`` resampled with replacement, spread by ``√(k/(k−1))``: a plain
    bootstrap of k clusters has ``(k−1)/k`` of the variance of their mean, which leaves the
    interval too narrow for a handful of agents."""
    k = len(changes)
    draws = changes[rng.integers(0, k, size=(resamples, k))].mean(axis=1)
    centre = changes.mean()
    return centre + (draws - centre) * np.sqrt(k / (k - 1))


def estimate_effect(
    coached: Sequence[AgentSeries], comparison: Sequence[AgentSeries], *,
    resamples: int = RESAMPLES, seed: int | Sequence[int] = SEED, min_n: int = MIN_N,
    min_comparison: int = MIN_COMPARISON,
) -> Effect:
    """The difference-in-differences of ``coached`` against ``comparison`` with a 95 %
    bootstrap interval and a verdict. ``seed``: the same seed gives the same interval;
    give different coachings different seeds (e.g. ``[SEED, id]``) so that :func:`pool`
    averages independent draws."""
    treated = _usable(_arrays(coached), min_n)
    control = _usable(_arrays(comparison), min_n)
    k_t, k_c = len(treated), len(control)
    base = {"coached_agents": k_t, "comparison_agents": k_c,
            "coached_n": _counts(treated), "comparison_n": _counts(control)}
    if k_t:
        t0, t1, t_sampling = _means_and_sampling(treated)
        base.update(coached_before=float(t0.mean()), coached_after=float(t1.mean()))
    if k_c:
        c0, c1, c_sampling = _means_and_sampling(control)
        base.update(comparison_before=float(c0.mean()), comparison_after=float(c1.mean()))
    if not k_t or k_c < min_comparison:
        return Effect(verdict=TOO_LITTLE, **base)

    rng = np.random.default_rng(seed)
    c_change = c1 - c0
    c_draws = _cluster_draws(rng, c_change, resamples)
    t_change = t1 - t0
    if k_t >= 2:
        # Few coached agents: their mean change with Student's t spread on k − 1 degrees
        # of freedom (a percentile bootstrap of a handful of clusters is too narrow).
        spread = float(t_change.std(ddof=1)) / np.sqrt(k_t)
        t_draws = t_change.mean() + spread * rng.standard_t(k_t - 1, resamples)
    else:
        drift = max(0.0, float(c_change.var(ddof=1)) - float(c_sampling.mean()))
        sd = float(np.sqrt(t_sampling[0] + drift))
        t_draws = t_change[0] + sd * rng.standard_normal(resamples)
    draws = t_draws - c_draws
    low, high = (float(x) for x in np.percentile(draws, [2.5, 97.5]))
    estimate = float(t_change.mean() - c_change.mean())
    return Effect(verdict=verdict_of(low, high), estimate=estimate, low=low, high=high,
                  draws=draws, **base)


def pool(effects: Sequence[Effect]) -> Effect:
    """Several coachings' effects as one (per coach, area or team): the mean of their
    estimates, its interval from the mean of their bootstrap draws (drawn independently,
    so the spread shrinks as coachings add up). Coachings with too little data are left
    out; with none left the verdict is "too little data to tell"."""
    used = [e for e in effects if e.has_estimate and e.draws is not None]
    if not used:
        return Effect(verdict=TOO_LITTLE, units=0)
    draws = np.mean([e.draws for e in used], axis=0)
    low, high = (float(x) for x in np.percentile(draws, [2.5, 97.5]))

    def avg(name: str) -> float:
        return float(np.mean([getattr(e, name) for e in used]))

    return Effect(
        verdict=verdict_of(low, high), estimate=avg("estimate"), low=low, high=high,
        coached_before=avg("coached_before"), coached_after=avg("coached_after"),
        comparison_before=avg("comparison_before"), comparison_after=avg("comparison_after"),
        coached_agents=sum(e.coached_agents for e in used),
        comparison_agents=sum(e.comparison_agents for e in used),
        coached_n=(sum(e.coached_n[0] for e in used), sum(e.coached_n[1] for e in used)),
        comparison_n=(sum(e.comparison_n[0] for e in used),
                      sum(e.comparison_n[1] for e in used)),
        units=len(used), draws=draws,
    )


def similar(level: float | None, candidates: Sequence[AgentSeries], *,
            within: float = SIMILAR_WITHIN, at_least: int = SIMILAR_AT_LEAST,
            at_most: int = SIMILAR_AT_MOST, min_n: int = MIN_N) -> list[AgentSeries]:
    """The candidates most like the coached agent before coaching: those with enough scores
    in both periods whose level before is within ``within`` points of ``level`` — at least
    the ``at_least`` nearest, at most the ``at_most`` nearest. Matching on the level before
    keeps regression to the mean (low scorers drift up anyway) out of the estimate."""
    usable = [c for c in candidates if c.before.n >= min_n and c.after.n >= min_n]
    if level is None:
        return usable[:at_most]
    ranked = sorted(usable, key=lambda c: (abs(c.before.mean - level), c.agent_id))
    close = [c for c in ranked if abs(c.before.mean - level) <= within]
    return ranked[:max(len(close), min(at_least, len(ranked)))][:at_most]
