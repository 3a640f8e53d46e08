"""Reads of a calibration session's agreement panel: Krippendorff's α per attribute and on
the totals with its bootstrap 95 % interval and reading (0.667 tentative, 0.8 reliable),
percent agreement, n; α with the automatic scorer counted as one more rater; and each
rater's deviation from the final answers and from the group — the automatic scorer as one
more row, so a tenant sees how far the machine is from its humans.

Everything is read from what :func:`quality.services.calibration.record_agreement` stored
at the reveal and at the finish (three queries, whatever the session's size). Nothing is
shown while the session is blind.
"""

from dataclasses import dataclass, field
from datetime import datetime

from . import calibration_stats as stats
from .charts_calibration import alpha_chart
from .enums import ALPHA_RELIABLE, ALPHA_TENTATIVE, CalibrationState
from .models import CalibrationAgreement, CalibrationDeviation, CalibrationSession

AUTO_LABEL = "Automatic scorer"


@dataclass(frozen=True)
class AlphaRow:
    """α of one attribute (``key``) or, with ``is_total``, of the total score."""

    key: str
    name: str
    level: str
    alpha: float | None
    low: float | None
    high: float | None
    with_auto: float | None
    percent_agreement: float | None
    units: int
    ratings: int
    raters: int

    @property
    def is_total(self) -> bool:
        return self.key == ""

    @property
    def reading(self) -> str:
        return stats.reading(self.alpha)

    @property
    def flagged(self) -> bool:
        """Unreliable: α below 0.667."""
        return self.alpha is not None and self.alpha < ALPHA_TENTATIVE

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def auto_change(self) -> float | None:
        """How α moves when the automatic scorer joins the raters."""
        if self.alpha is None or self.with_auto is None:
            return None
        return self.with_auto - self.alpha

    @property
    def percent(self) -> float | None:
        return None if self.percent_agreement is None else 100 * self.percent_agreement


@dataclass(frozen=True)
class DeviationCell:
    """One rater on one attribute (or the total): n answers, mean points of 100 from the
    final answer and from the other raters, share of answers unlike the final answer."""

    n: int
    from_final: float | None
    disagree_final: float | None
    from_group: float | None

    @property
    def disagree_percent(self) -> float | None:
        return None if self.disagree_final is None else 100 * self.disagree_final


@dataclass(frozen=True)
class RaterRow:
    """A rater's deviations: ``total`` on the total score, ``cells`` per attribute in the
    panel's attribute order (``None``: no answer to compare)."""

    label: str
    user_id: int | None
    is_auto: bool
    total: DeviationCell | None
    cells: list[DeviationCell | None]


@dataclass
class AgreementPanel:
    session: CalibrationSession
    blind: bool
    attributes: list[AlphaRow] = field(default_factory=list)
    total: AlphaRow | None = None
    raters: list[RaterRow] = field(default_factory=list)
    recorded_at: datetime | None = None
    chart: dict | None = None

    tentative = ALPHA_TENTATIVE
    reliable = ALPHA_RELIABLE

    @property
    def flagged(self) -> list[AlphaRow]:
        """Attributes with α below 0.667: unreliable."""
        return [row for row in self.attributes if row.flagged]

    @property
    def has_auto(self) -> bool:
        return any(r.is_auto for r in self.raters) or any(
            row.with_auto is not None for row in self.attributes)

    @property
    def has_final(self) -> bool:
        """Deviations from the final answers exist once the session is finished."""
        return any(r.total is not None and r.total.from_final is not None
                   for r in self.raters)

    @property
    def is_empty(self) -> bool:
        return not self.attributes and self.total is None


def _cell(deviation: CalibrationDeviation) -> DeviationCell:
    return DeviationCell(deviation.n, deviation.from_final, deviation.disagree_final,
                         deviation.from_group)


def _alpha_row(agreement: CalibrationAgreement) -> AlphaRow:
    return AlphaRow(
        key=agreement.attribute_key, name=agreement.attribute_name, level=agreement.level,
        alpha=agreement.alpha, low=agreement.alpha_low, high=agreement.alpha_high,
        with_auto=agreement.alpha_with_auto, percent_agreement=agreement.percent_agreement,
        units=agreement.units, ratings=agreement.ratings, raters=agreement.raters,
    )


def _name(user) -> str:
    return user.get_full_name() or user.username


def agreement_panel(session: CalibrationSession) -> AgreementPanel:
    """The agreement panel of ``session`` (empty and ``blind`` while it is scoring)."""
    if session.is_blind:
        return AgreementPanel(session=session, blind=True)
    agreements = list(CalibrationAgreement.objects.filter(session=session).order_by("id"))
    attributes = [_alpha_row(a) for a in agreements if a.attribute_key]
    total = next((_alpha_row(a) for a in agreements if not a.attribute_key), None)
    keys = [row.key for row in attributes]

    by_rater: dict[object, dict[str, DeviationCell]] = {}
    for deviation in CalibrationDeviation.objects.filter(session=session):
        rater = "auto" if deviation.is_auto else deviation.evaluator_id
        by_rater.setdefault(rater, {})[deviation.attribute_key] = _cell(deviation)

    def row(label, user_id, is_auto):
        cells = by_rater.get("auto" if is_auto else user_id, {})
        return RaterRow(label=label, user_id=user_id, is_auto=is_auto, total=cells.get(""),
                        cells=[cells.get(key) for key in keys])

    raters = [row(_name(p.evaluator), p.evaluator_id, False)
              for p in session.participants.select_related("evaluator").order_by("id")]
    if "auto" in by_rater:
        raters.append(row(AUTO_LABEL, None, True))
    return AgreementPanel(
        session=session, blind=False, attributes=attributes, total=total, raters=raters,
        recorded_at=max((a.recorded_at for a in agreements), default=None),
        chart=alpha_chart([*attributes, *([total] if total else [])]),
    )


# --- drift: agreement across finished sessions --------------------------------------------

DRIFT_PERIODS = (90, 180, 365)
DEFAULT_DRIFT_PERIOD = 365


@dataclass(frozen=True)
class DriftPoint:
    """One finished session's value in a series (``None``: not measured in it)."""

    session: CalibrationSession
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0


@dataclass
class DriftSeries:
    key: str  # attribute key ("" the total), or the evaluator's id / "auto"
    label: str
    points: list[DriftPoint]
    is_auto: bool = False
    is_total: bool = False

    @property
    def measured(self) -> list[DriftPoint]:
        return [p for p in self.points if p.value is not None]

    @property
    def latest(self) -> DriftPoint | None:
        measured = self.measured
        return measured[-1] if measured else None

    @property
    def change(self) -> float | None:
        """Latest minus first measured value."""
        measured = self.measured
        if len(measured) < 2:
            return None
        return measured[-1].value - measured[0].value


@dataclass
class CalibrationDrift:
    sessions: list[CalibrationSession]
    attributes: list[DriftSeries]
    evaluators: list[DriftSeries]


def finished_sessions(organization, *, since: datetime | None = None,
                      scorecard_key: str = "") -> list[CalibrationSession]:
    query = (CalibrationSession.objects
             .filter(organization=organization, state=CalibrationState.FINISHED)
             .select_related("scorecard"))
    if since is not None:
        query = query.filter(finished_at__gte=since)
    if scorecard_key:
        query = query.filter(scorecard__key=scorecard_key)
    return list(query.order_by("finished_at", "id"))


def calibration_drift(organization, *, since: datetime | None = None,
                      scorecard_key: str = "") -> CalibrationDrift:
    """Per attribute (by key, across scorecard versions; the total last) Krippendorff's α
    with its interval, and per evaluator (the automatic scorer last) the deviation from the
    final answers on the total score, across the organization's finished sessions in
    order of finishing. Three queries whatever the number of sessions."""
    sessions = finished_sessions(organization, since=since, scorecard_key=scorecard_key)
    index = {s.pk: i for i, s in enumerate(sessions)}

    def blank():
        return [DriftPoint(s, None) for s in sessions]

    attributes: dict[str, DriftSeries] = {}
    for a in (CalibrationAgreement.objects.filter(organization=organization,
                                                  session_id__in=list(index))
              .order_by("session__finished_at", "id")):
        series = attributes.setdefault(a.attribute_key, DriftSeries(
            a.attribute_key, a.attribute_name, blank(), is_total=not a.attribute_key))
        series.label = a.attribute_name  # the latest name
        series.points[index[a.session_id]] = DriftPoint(
            sessions[index[a.session_id]], a.alpha, a.alpha_low, a.alpha_high, a.units)
    evaluators: dict[object, DriftSeries] = {}
    for d in (CalibrationDeviation.objects.filter(organization=organization,
                                                  session_id__in=list(index),
                                                  attribute_key="")
              .select_related("evaluator").order_by("id")):
        key = "auto" if d.is_auto else d.evaluator_id
        label = AUTO_LABEL if d.is_auto else _name(d.evaluator)
        series = evaluators.setdefault(key, DriftSeries(str(key), label, blank(),
                                                        is_auto=d.is_auto))
        series.points[index[d.session_id]] = DriftPoint(
            sessions[index[d.session_id]], d.from_final, n=d.n)
    ordered_attributes = sorted(attributes.values(), key=lambda s: (s.is_total, s.label))
    ordered_evaluators = sorted(evaluators.values(), key=lambda s: (s.is_auto, s.label))
    return CalibrationDrift(sessions, ordered_attributes, ordered_evaluators)
