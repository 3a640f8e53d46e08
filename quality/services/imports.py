"""Evaluations an outside QA system posts (``POST /api/v1/evaluations``): validated against
the scorecard version as a whole, then written as a submitted audit in one transaction."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenancy.models import Membership, Organization, User
from work.models import WorkItem

from ..enums import EvaluationKind, ReleaseMode
from ..models import AuditAssignment, Evaluation, Scorecard
from ..selectors import quality_settings, scorecard_for
from .agreement import schedule_agreement_refresh
from .answers import (
    AnswerInput,
    _check_evidence,
    _turn_count,
    log_change,
    parse_answer,
    save_answers,
)
from .disputes import open_review
from .errors import QualityError
from .evaluations import open_evaluation, start_counting


@dataclass
class PostedAnswer:
    attribute: str  # the attribute's name on the scorecard
    answer: Any
    comment: str = ""
    evidence: list[int] = field(default_factory=list)


class EvaluationInvalid(QualityError):
    """The posted evaluation was refused; ``errors`` lists ``(field, message)``, the field
    as the client wrote it (``answers[2].answer``). Nothing was written."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("The evaluation is invalid; nothing was written.")
        self.errors = errors


def _member(organization: Organization, username: str) -> User | None:
    membership = (Membership.objects.filter(organization=organization, user__username=username)
                  .select_related("user").first())
    return membership.user if membership else None


@transaction.atomic
def post_evaluation(
    *, organization: Organization, interaction: str, answers: list[PostedAnswer],
    scorecard: str | None = None, evaluator: str | None = None, comment: str = "",
    release: bool | None = None,
) -> Evaluation:
    """Create a submitted manual evaluation of the interaction ``interaction`` (external
    id) against ``scorecard`` (a current scorecard's name; default: the one for the
    interaction's queue), answered by ``evaluator`` (a member's username, optional).

    Every attribute must be answered (a value or N/A). Every problem is collected and
    raised at once as :class:`EvaluationInvalid`; nothing is written then. ``release``:
    true releases it to the agent now, false keeps it submitted, absent follows the
    tenant's release mode. Side effects: the rollups (through the answer writer), the
    history, and the interaction's open audit allocation is completed.
    """
    errors: list[tuple[str, str]] = []
    item = (WorkItem.objects.filter(organization=organization, external_id=interaction)
            .select_related("assigned_to", "resolved_by").first())
    if item is None:
        errors.append(("interaction", f"No interaction “{interaction}” in this organization."))
    card: Scorecard | None = None
    if scorecard:
        card = (Scorecard.objects.filter(organization=organization, is_current=True,
                                         name=scorecard).first())
        if card is None:
            errors.append(("scorecard", f"No current scorecard named “{scorecard}”."))
    elif item is not None:
        card = scorecard_for(organization, queue=item.queue)
        if card is None:
            errors.append(("scorecard", "No scorecard applies to this interaction (no default "
                                        "and none for its queue); name one."))
    actor = None
    if evaluator:
        actor = _member(organization, evaluator)
        if actor is None:
            errors.append(("evaluator", f"No member “{evaluator}” in this organization."))

    parsed: list[AnswerInput] = []
    if card is not None:
        attributes = {a.name: a for a in card.attributes.all()}
        turn_count = _turn_count(Evaluation(interaction=item)) if item is not None else None
        seen: set[str] = set()
        for index, given in enumerate(answers):
            attribute = attributes.get(given.attribute)
            if attribute is None:
                errors.append((f"answers[{index}].attribute",
                               f"“{given.attribute}” is not an attribute of {card}."))
                continue
            if attribute.key in seen:
                errors.append((f"answers[{index}].attribute",
                               f"“{attribute.name}” is answered twice."))
                continue
            seen.add(attribute.key)
            try:
                value, na = parse_answer(attribute, given.answer)
                if value is None and not na:
                    raise QualityError(f"“{attribute.name}” needs an answer.")
            except QualityError as error:
                errors.append((f"answers[{index}].answer", error.message))
                continue
            try:
                evidence = _check_evidence(attribute, given.evidence, turn_count)
            except QualityError as error:
                errors.append((f"answers[{index}].evidence", error.message))
                continue
            parsed.append(AnswerInput(attribute.key, given.answer, comment=given.comment,
                                      evidence=evidence))
        missing = [a.name for a in attributes.values()
                   if a.key not in seen]
        if missing:
            errors.append(("answers", "Answer every attribute: " + ", ".join(
                f"“{name}”" for name in missing) + " not answered."))
    if errors:
        raise EvaluationInvalid(errors)

    evaluation = open_evaluation(interaction=item, scorecard=card, kind=EvaluationKind.MANUAL,
                                 evaluator=actor)
    save_answers(evaluation=evaluation, answers=parsed, actor=actor, require_complete=True,
                 note="posted through the API")
    now = timezone.now()
    if comment:
        evaluation.comment = comment.strip()
        evaluation.save(update_fields=["comment"])
    settings = quality_settings(organization)
    release_now = (release if release is not None
                   else settings.release_mode != ReleaseMode.AFTER_DELAY)
    evaluation.submit()
    if release is None and not release_now:
        evaluation.release_at = now + timedelta(hours=settings.release_delay_hours)
    start_counting(evaluation, actor=actor, action="submitted")
    if release_now:
        evaluation.release()
        evaluation.released_at = evaluation.updated_at = timezone.now()
        evaluation.save(update_fields=["state", "released_at", "updated_at"])
        log_change(evaluation=evaluation, actor=actor, action="released", before="Submitted",
                   after="Released")
        open_review(evaluation, actor=actor)  # with disputes on, the agent's review opens
    AuditAssignment.objects.filter(
        organization=organization, interaction_id=item.pk, completed_at__isnull=True,
    ).update(evaluation=evaluation, completed_at=now)
    schedule_agreement_refresh(organization)  # a new human answer: recount after commit
    return evaluation
