"""Humans gate the machine: how often each automatic scorer agrees with human audits, per
attribute.

Pairs, per (scorecard key, attribute key, scorer): interactions with both an automatic
answer from that scorer (``Answer.alternatives`` of the interaction's latest automatic
evaluation of that scorecard) and a counted manual answer (the latest submitted or released
audit of the interaction; calibration never counts). Attributes are matched by key, so an
audit and an automatic evaluation of different versions of the same scorecard pair up.

- yes/no attributes: N/A is a category of its own (a scorer that answers when the auditor
  said N/A disagrees); Cohen's κ, unweighted.
- scale attributes: pairs where either side is N/A are left out (weighted κ needs numbers);
  Cohen's κ with quadratic weights.
- κ is undefined when both raters are constant; we define it as 1.0 when they agree on
  every pair and 0.0 otherwise.

``verified``: at least ``verify_min_pairs`` pairs and κ ≥ ``verify_min_kappa`` (the
tenant's :class:`~quality.selectors.QualitySettings`). Recomputed from scratch per tenant
after an audit is submitted (:func:`schedule_agreement_refresh`) and nightly.
"""

import logging
from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenancy.background import enqueue
from tenancy.models import Organization

from ..enums import COUNTED_STATES, AnswerType, EvaluationKind
from ..models import Answer, AttributeAgreement
from ..selectors import quality_settings

logger = logging.getLogger(__name__)

REFRESH_TASK = "quality.refresh_agreement_for"


def cohen_kappa(first: Sequence, second: Sequence, *, weighted: bool = False) -> float | None:
    """Cohen's κ of two raters' answers (quadratic weights when ``weighted``); ``None``
    without pairs; 1.0 / 0.0 when both raters are constant (see the module docstring)."""
    if len(first) != len(second):
        raise ValueError("Both raters need the same number of answers.")
    if not first:
        return None
    if len(set(first)) == 1 and len(set(second)) == 1:
        return 1.0 if first[0] == second[0] else 0.0
    from sklearn.metrics import cohen_kappa_score  # noqa: PLC0415 (not at web start-up)

    if weighted:  # scale values only (N/A pairs are left out), in numeric order
        labels = sorted(set(first) | set(second))
        kappa = cohen_kappa_score(list(first), list(second), labels=labels, weights="quadratic")
    else:  # yes/no with N/A as its own answer: one label type for sklearn
        first, second = [str(v) for v in first], [str(v) for v in second]
        kappa = cohen_kappa_score(first, second, labels=sorted(set(first) | set(second)))
    return round(float(kappa), 6)


def percent_agreement(first: Sequence, second: Sequence) -> float | None:
    if not first:
        return None
    return round(sum(a == b for a, b in zip(first, second, strict=True)) / len(first), 6)


def _label(value, na: bool):
    return "na" if na else value


def collect_pairs(organization: Organization
                  ) -> tuple[dict[tuple[str, str, str], list[tuple]], set[tuple[str, str]]]:
    """``({(scorecard key, attribute key, scorer): [(automatic, manual), …]}, {(scorecard
    key, attribute key) of scale attributes})`` with values 1/0/0…N or ``"na"``; scale
    attributes without N/A pairs."""
    manual: dict[tuple[int, str, str], tuple] = {}
    rows = Answer.objects.filter(
        Q(na=True) | Q(value__isnull=False), organization=organization,
        evaluation__kind=EvaluationKind.MANUAL, evaluation__state__in=COUNTED_STATES,
    ).values_list("evaluation__interaction_id", "evaluation__scorecard__key", "attribute__key",
                  "value", "na", "evaluation__submitted_at", "evaluation_id")
    latest: dict[tuple[int, str, str], tuple] = {}
    for interaction_id, card, attr, value, na, submitted_at, evaluation_id in rows:
        key = (interaction_id, card, attr)
        order = (submitted_at, evaluation_id)
        if key not in latest or order > latest[key]:
            latest[key] = order
            manual[key] = _label(value, na)

    auto: dict[tuple[int, str, str], tuple[tuple, dict, bool]] = {}
    rows = (Answer.objects.filter(organization=organization, evaluation__kind=EvaluationKind.AUTO)
            .values_list("evaluation__interaction_id", "evaluation__scorecard__key",
                         "attribute__key", "alternatives", "attribute__answer_type",
                         "evaluation__scorecard__version", "evaluation_id"))
    for interaction_id, card, attr, alternatives, answer_type, version, evaluation_id in rows:
        key = (interaction_id, card, attr)
        if key not in manual or not alternatives:
            continue
        order = (version, evaluation_id)
        if key not in auto or order > auto[key][0]:
            auto[key] = (order, alternatives, answer_type == AnswerType.SCALE)

    pairs: dict[tuple[str, str, str], list[tuple]] = {}
    scales: set[tuple[str, str]] = set()
    for key, (_order, alternatives, is_scale) in auto.items():
        human = manual[key]
        if is_scale:
            scales.add((key[1], key[2]))
        for scorer, machine in alternatives.items():
            if is_scale and "na" in (human, machine):
                continue
            pairs.setdefault((key[1], key[2], scorer), []).append((machine, human))
    return pairs, scales


@transaction.atomic
def refresh_agreement(*, organization: Organization) -> list[AttributeAgreement]:
    """Recompute every scorer's agreement with the audits of ``organization`` and store it
    (rows without pairs any more are deleted). Returns the stored rows."""
    settings = quality_settings(organization)
    now = timezone.now()
    pairs, scale_keys = collect_pairs(organization)
    existing = {(r.scorecard_key, r.attribute_key, r.scorer): r
                for r in AttributeAgreement.objects.filter(organization=organization)}
    to_create, to_update = [], []
    for key, found in sorted(pairs.items()):
        machine = [m for m, _h in found]
        human = [h for _m, h in found]
        kappa = cohen_kappa(machine, human, weighted=(key[0], key[1]) in scale_keys)
        row = existing.pop(key, None)
        if row is None:
            row = AttributeAgreement(organization=organization, scorecard_key=key[0],
                                     attribute_key=key[1], scorer=key[2])
            to_create.append(row)
        else:
            to_update.append(row)
        row.pairs = len(found)
        row.agreement = percent_agreement(machine, human)
        row.kappa = kappa
        row.verified = (row.pairs >= settings.verify_min_pairs and kappa is not None
                        and kappa >= settings.verify_min_kappa)
        row.computed_at = now
    AttributeAgreement.objects.bulk_create(to_create)
    AttributeAgreement.objects.bulk_update(
        to_update, ["pairs", "agreement", "kappa", "verified", "computed_at"])
    if existing:
        AttributeAgreement.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
    return to_create + to_update


def _enqueue_refresh(organization_id: int) -> None:
    try:
        enqueue(REFRESH_TASK, organization_id=organization_id)
    except Exception:
        logger.warning("Could not enqueue the agreement refresh of organization %s; the "
                       "nightly run will catch up.", organization_id, exc_info=True)


def schedule_agreement_refresh(organization: Organization) -> None:
    """After the current transaction commits, recompute the tenant's agreement on the
    worker (an audit was submitted or changed). A broker error is logged, not raised."""
    transaction.on_commit(partial(_enqueue_refresh, organization.pk))
