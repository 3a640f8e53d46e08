"""Reads of behaviour coaching (issue 18): how agents score per behaviour (a scorecard
attribute, by its stable ``key``), how often a behaviour fails, and which interactions
show it failing.

Scores come only from :class:`quality.models.ScoreRollup` of the tenant's default
scorecard, read as the quality dashboards read them: an attribute that a *verified*
scorer answers counts the verified automatic answers only; any other attribute counts
the audits. A behaviour's score is its mean points × 100 (a yes/no attribute's pass rate,
with the Wilson interval; a scale's mean, with the t-interval); its *failures* are the
answers that earned no points.

Other modules code against :func:`behaviour_score` and :func:`weakest_interactions`.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, Sum

from quality import stats
from quality.enums import COUNTED_KINDS, COUNTED_STATES, TOTAL_KEY, EvaluationKind
from quality.models import Answer, Evaluation, ScoreRollup
from quality.selectors import attribute_states, dashboard_scorecards, quality_settings
from tenancy.models import Organization, User

_AUTO, _MANUAL = EvaluationKind.AUTO.value, EvaluationKind.MANUAL.value


# --- how scores are read ----------------------------------------------------------------


@dataclass
class Scoring:
    """The default scorecard, its attributes (``quality.selectors.AttributeState``) and
    the verified ``(attribute key, scorer)`` pairs; ``minimum``: the tenant's min reviews."""

    scorecard: object
    attributes: list
    minimum: int
    verified: set = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.scorecard.key if self.scorecard else ""

    @property
    def automatic_keys(self) -> frozenset:
        return frozenset(key for key, _ in self.verified)

    def attribute(self, key: str):
        return next((a for a in self.attributes if a.key == key), None)

    def total_kind(self) -> str:
        """The overall score's source: automatic totals when every automatic attribute is
        verified (the stored totals are then the verified score), else the audits."""
        automatic = [a for a in self.attributes if a.automatic]
        return _AUTO if automatic and all(a.verified for a in automatic) else _MANUAL

    def source(self, keys=None) -> Q:
        """The rollup rows behaviour ``keys`` (all: ``None``) and the total are read from."""
        keys = [a.key for a in self.attributes] if keys is None else list(keys)
        automatic = sorted(k for k in keys if k in self.automatic_keys)
        manual = sorted(k for k in keys if k not in self.automatic_keys)
        scorers = sorted({scorer for _, scorer in self.verified})
        return (Q(attribute_key=TOTAL_KEY, kind=self.total_kind())
                | Q(attribute_key__in=automatic, kind=_AUTO, scorer__in=scorers)
                | Q(attribute_key__in=manual, kind=_MANUAL))


def scoring_of(organization: Organization) -> Scoring:
    """How ``organization``'s behaviour scores are read (two or three queries)."""
    minimum = quality_settings(organization).min_reviews
    cards = dashboard_scorecards(organization)
    if not cards:
        return Scoring(None, [], minimum)
    attributes = attribute_states(organization, cards[0])
    return Scoring(cards[0], attributes, minimum,
                   {(a.key, s) for a in attributes for s in a.verified_scorers})


@dataclass
class Sums:
    """Running sums of one behaviour (points 0–1) or of the total (0–100)."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    failures: int = 0

    def add(self, n, total, total_sq, failures) -> None:
        self.n += n or 0
        self.total += total or 0.0
        self.total_sq += total_sq or 0.0
        self.failures += failures or 0

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


def estimate_of(sums: Sums, attribute, minimum: int) -> stats.Estimate:
    """A behaviour's score 0–100 with its 95 % interval and n: the pass rate of a yes/no
    attribute (Wilson), the mean points of a scale (t)."""
    if attribute is not None and not attribute.scale:
        return stats.scaled(stats.wilson_interval(sums.total, sums.n), n=sums.n,
                            minimum=minimum, factor=100, rate=True)
    return stats.scaled(stats.mean_interval(sums.n, sums.total, sums.total_sq), n=sums.n,
                        minimum=minimum, factor=100)


def total_estimate(sums: Sums, minimum: int) -> stats.Estimate:
    """The overall score (0–100 totals) with its t-interval."""
    return stats.scaled(stats.mean_interval(sums.n, sums.total, sums.total_sq), n=sums.n,
                        minimum=minimum)


def read_sums(organization: Organization, scoring: Scoring, *, agents, start: date,
              end: date, keys=None) -> dict:
    """``{agent id: {attribute key (TOTAL_KEY for the total): Sums}}`` over the days
    ``start``…``end`` (both included) for ``agents`` (ids or a subquery of ids), summed in
    the database: one query whatever the number of days or agents."""
    if scoring.scorecard is None:
        return {}
    rows = (ScoreRollup.objects.filter(
        organization=organization, scorecard_key=scoring.key, kind__in=COUNTED_KINDS,
        day__gte=start, day__lte=end, agent_id__in=agents).filter(scoring.source(keys))
        .values("agent_id", "attribute_key").order_by()
        .annotate(sn=Sum("n"), st=Sum("total"), sq=Sum("total_sq"), sf=Sum("failures"))
        .values_list("agent_id", "attribute_key", "sn", "st", "sq", "sf"))
    result: dict = defaultdict(lambda: defaultdict(Sums))
    for agent, attribute, n, s, ss, failures in rows:
        result[agent][attribute].add(n, s, ss, failures)
    return result


# --- the interface other modules use -----------------------------------------------------


def behaviour_score(organization: Organization, agent: User, attribute_key: str,
                    start: date, end: date) -> stats.Estimate:
    """The agent's score for one behaviour over ``start``…``end`` (days in the tenant's
    time zone, both included): 0–100 with its 95 % interval and n (the answers counted;
    ``enough`` against the tenant's min reviews). ``stats.NONE``-like (n 0) without
    answers or without a default scorecard."""
    scoring = scoring_of(organization)
    sums = read_sums(organization, scoring, agents=[agent.pk], start=start, end=end,
                     keys=[attribute_key])
    mine = sums.get(agent.pk, {}).get(attribute_key, Sums())
    return estimate_of(mine, scoring.attribute(attribute_key), scoring.minimum)


def weakest_interactions(organization: Organization, agent: User, attribute_key: str,
                         limit: int = 3) -> list[tuple]:
    """Up to ``limit`` ``(WorkItem, Evaluation)`` pairs where the agent's behaviour
    failed (the answer earned no points), newest interaction first, each interaction
    once. Only answers that count: submitted or released audits, and automatic answers of
    a verified scorer. When an interaction has both, the audit is the one returned."""
    scoring = scoring_of(organization)
    counted = Q(evaluation__kind=_MANUAL)
    verified_scorers = sorted(s for key, s in scoring.verified if key == attribute_key)
    if verified_scorers:
        counted |= Q(evaluation__kind=_AUTO, scorer__in=verified_scorers)
    answers = (Answer.objects.filter(
        counted, organization=organization, attribute__key=attribute_key, na=False,
        value=0, evaluation__agent=agent, evaluation__state__in=COUNTED_STATES)
        .order_by("-evaluation__interaction_at", "evaluation__interaction_id",
                  "-evaluation__kind")  # "manual" before "auto"
        .values_list("evaluation_id", "evaluation__interaction_id"))
    chosen: list[int] = []
    seen: set[int] = set()
    for evaluation_id, interaction_id in answers[: limit * 4]:
        if interaction_id not in seen:
            seen.add(interaction_id)
            chosen.append(evaluation_id)
        if len(chosen) == limit:
            break
    evaluations = {e.pk: e for e in Evaluation.objects.filter(
        organization=organization, pk__in=chosen).select_related("interaction", "scorecard")}
    return [(evaluations[pk].interaction, evaluations[pk]) for pk in chosen]
