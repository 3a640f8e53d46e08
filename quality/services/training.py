"""Training the learned scorers (:mod:`quality.scoring.learned`) from the tenant's audits.

Per (scorecard key, attribute key) of an attribute that is scored automatically: the
examples are the manual answers (latest submitted or released audit per interaction;
calibration never counts; N/A and unanswered left out) of interactions with a transcript.
From ``QualitySettings.learned_min_answers`` examples on, a pipeline is fitted on 80 % and
its agreement with the auditors measured on the other 20 % (stratified, seeded), and kept
in a :class:`~quality.models.LearnedScorer` (one per attribute; ``version`` goes up with
each retraining). With fewer examples, or with only one answer ever given (nothing to
tell apart), there is no model. The nightly run retrains when the number of examples
changed since the last training (so a scorer's name, ``learned:<version>``, and the
agreement measured under it stay put while nothing new was learned).
"""

import logging

from django.db import transaction
from django.utils import timezone

from tenancy.models import Organization
from work.models import Transcript

from ..enums import COUNTED_STATES, AnswerType, EvaluationKind
from ..models import Answer, Attribute, LearnedScorer
from ..scoring import learned
from ..selectors import quality_settings
from .agreement import cohen_kappa, percent_agreement

logger = logging.getLogger(__name__)

HELDOUT_SHARE = 0.2
SEED = 14


def _latest_answers(organization: Organization, scorecard_key: str, attribute_key: str
                    ) -> tuple[dict[int, int], bool]:
    """``({interaction id: value}, is_scale)`` of the latest counted audit per interaction
    with a transcript."""
    rows = (
        Answer.objects.filter(
            organization=organization, evaluation__kind=EvaluationKind.MANUAL,
            evaluation__state__in=COUNTED_STATES, evaluation__scorecard__key=scorecard_key,
            attribute__key=attribute_key, na=False, value__isnull=False,
            evaluation__interaction__transcript__isnull=False,
        )
        .values_list("evaluation__interaction_id", "value", "evaluation__submitted_at",
                     "evaluation_id", "attribute__answer_type")
    )
    latest: dict[int, tuple] = {}
    is_scale = False
    for interaction_id, value, submitted_at, evaluation_id, answer_type in rows:
        is_scale = is_scale or answer_type == AnswerType.SCALE
        order = (submitted_at, evaluation_id)
        if interaction_id not in latest or order > latest[interaction_id][0]:
            latest[interaction_id] = (order, value)
    return {i: value for i, (_order, value) in latest.items()}, is_scale


def learned_progress(organization: Organization, *, scorecard_key: str, attribute_key: str
                     ) -> tuple[int, int]:
    """``(have, need)``: the audited interactions with a transcript the attribute has, and
    how many a learned scorer needs (the page can say "N more audits to go")."""
    answers, _ = _latest_answers(organization, scorecard_key, attribute_key)
    return len(answers), quality_settings(organization).learned_min_answers


def _drop(organization: Organization, scorecard_key: str, attribute_key: str) -> None:
    LearnedScorer.objects.filter(organization=organization, scorecard_key=scorecard_key,
                                 attribute_key=attribute_key).delete()


@transaction.atomic
def train_learned_scorer(
    *, organization: Organization, scorecard_key: str, attribute_key: str, force: bool = False,
) -> LearnedScorer | None:
    """Train (or keep) the learned scorer of one attribute; ``None`` when there are too few
    examples or only one class. Side effects: writes, replaces or deletes the
    :class:`LearnedScorer` row."""
    answers, is_scale = _latest_answers(organization, scorecard_key, attribute_key)
    need = quality_settings(organization).learned_min_answers
    existing = LearnedScorer.objects.select_for_update().filter(
        organization=organization, scorecard_key=scorecard_key, attribute_key=attribute_key,
    ).first()
    if len(answers) < need or len(answers) < 5:
        if existing is not None:
            existing.delete()
        return None
    if (existing is not None and not force
            and existing.training_size + existing.heldout_size == len(answers)):
        return existing

    turns = dict(Transcript.objects.filter(organization=organization,
                                           work_item_id__in=list(answers))
                 .values_list("work_item_id", "turns"))
    ids = sorted(answers)
    texts = [learned.agent_text(turns.get(i) or []) for i in ids]
    labels = [answers[i] for i in ids]
    counts = {label: labels.count(label) for label in set(labels)}
    if len(counts) < 2:
        logger.info("No learned scorer for %s/%s: every audit gave the same answer.",
                    scorecard_key, attribute_key)
        if existing is not None:
            existing.delete()
        return None
    stratify = labels if min(counts.values()) >= 2 else None
    from sklearn.model_selection import train_test_split  # noqa: PLC0415 (not at web start-up)

    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=HELDOUT_SHARE, random_state=SEED, stratify=stratify,
    )
    if len(set(train_y)) < 2:
        if existing is not None:
            existing.delete()
        return None
    pipeline = learned.fit(train_x, train_y, seed=SEED)
    predicted = [int(v) for v in pipeline.predict(test_x)]
    scorer = existing or LearnedScorer(organization=organization, scorecard_key=scorecard_key,
                                       attribute_key=attribute_key, version=0)
    scorer.version += 1
    scorer.trained_at = timezone.now()
    scorer.training_size = len(train_y)
    scorer.heldout_size = len(test_y)
    scorer.heldout_agreement = percent_agreement(predicted, list(test_y))
    scorer.heldout_kappa = cohen_kappa(predicted, list(test_y), weighted=is_scale)
    scorer.model = learned.dumps(pipeline)
    scorer.save()
    return scorer


def train_learned_scorers(*, organization: Organization, force: bool = False
                          ) -> list[LearnedScorer]:
    """Train every automatically scored attribute of the tenant's current scorecards;
    return the scorers that exist afterwards."""
    pairs = sorted(set(
        Attribute.objects.filter(organization=organization, scorecard__is_current=True,
                                 auto__isnull=False)
        .values_list("scorecard__key", "key")
    ))
    trained = []
    for scorecard_key, attribute_key in pairs:
        try:
            scorer = train_learned_scorer(organization=organization, scorecard_key=scorecard_key,
                                          attribute_key=attribute_key, force=force)
        except Exception:  # one attribute's failure never stops the others
            logger.exception("Training the learned scorer of %s/%s failed", scorecard_key,
                             attribute_key)
            continue
        if scorer is not None:
            trained.append(scorer)
    return trained
