"""Sending an evaluator or an attribute to calibration from the dispute analytics.

A flagged subject (its overturn rate's 95 % lower bound above
:data:`quality.selectors_disputes.FLAG_LOWER_BOUND`, with enough decided disputes) becomes
one :class:`CalibrationCandidate`, with the figures in its reason and the disputed
evaluations attached, for a calibration session to take up. A subject has at most one open
candidate: sending it again returns the waiting one and changes nothing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenancy.models import Organization, User

from ..enums import CalibrationSubject
from ..models import CalibrationCandidate
from ..selectors_disputes import (
    FLAG_LOWER_BOUND,
    OverturnRow,
    disputed_evaluation_ids,
    flagged_row,
)
from .errors import QualityError


@dataclass(frozen=True)
class Sent:
    candidate: CalibrationCandidate
    created: bool  # False: the subject was already waiting for calibration


def _waiting(organization: Organization, *, subject: str, evaluator_id: int | None,
             attribute_key: str) -> CalibrationCandidate | None:
    candidates = CalibrationCandidate.objects.filter(
        organization=organization, subject=subject, taken_at__isnull=True)
    if subject == CalibrationSubject.EVALUATOR:
        return candidates.filter(evaluator_id=evaluator_id).first()
    return candidates.filter(attribute_key=attribute_key).first()


def _reason(row: OverturnRow, days: int) -> str:
    share = row.share
    return (f"{row.label}: {share.part} of {share.n} disputed attributes changed in the last "
            f"{days} days — overturn rate {100 * share.rate:.1f}% (95% interval "
            f"{100 * share.low:.1f}–{100 * share.high:.1f}%), lower bound above the "
            f"{100 * FLAG_LOWER_BOUND:.0f}% flag.")


def send_to_calibration(*, organization: Organization, actor: User, subject: str, days: int,
                        evaluator_id: int | None = None, attribute_key: str = "") -> Sent:
    """Make the open calibration candidate of a flagged evaluator or attribute, or return
    the one already waiting (then nothing is written).

    The flag is re-checked over the whole tenant's disputes of the last ``days``; a subject
    not flagged is refused. Two clicks at once make one candidate: the partial unique
    constraints on open candidates decide, and the loser returns the winner's row.
    """
    if subject not in CalibrationSubject.values:
        raise QualityError("Send an evaluator or an attribute.", field="subject")
    if subject == CalibrationSubject.EVALUATOR:
        attribute_key = ""
    else:
        evaluator_id = None
    key = {"evaluator_id": evaluator_id, "attribute_key": attribute_key}
    waiting = _waiting(organization, subject=subject, **key)
    if waiting is not None:
        return Sent(waiting, created=False)
    row = flagged_row(organization, subject=subject, days=days, **key)
    if row is None:
        raise QualityError("No decided disputes of this "
                           f"{CalibrationSubject(subject).label.lower()} in the last {days} days.",
                           field="subject")
    if not row.flagged:
        raise QualityError(
            f"{row.label} is not flagged: its overturn rate's lower bound is not above "
            f"{100 * FLAG_LOWER_BOUND:.0f}% over enough disputes.", field="subject")
    since = timezone.now() - timedelta(days=days)
    evaluation_ids = disputed_evaluation_ids(organization, subject=subject, since=since, **key)
    try:
        with transaction.atomic():
            candidate = CalibrationCandidate.objects.create(
                organization=organization, subject=subject, evaluator_id=evaluator_id,
                attribute_key=attribute_key,
                attribute_name=row.label if subject == CalibrationSubject.ATTRIBUTE else "",
                reason=_reason(row, days), created_by=actor,
            )
            candidate.evaluations.add(*evaluation_ids)
    except IntegrityError:  # sent at the same moment by someone else
        waiting = _waiting(organization, subject=subject, **key)
        if waiting is None:
            raise
        return Sent(waiting, created=False)
    return Sent(candidate, created=True)
