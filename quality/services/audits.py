"""Manual audits: starting one, saving a draft, submitting, releasing, editing afterwards,
and bookmarking interactions as best responses.

Who may audit whom: org admins and QA analysts every agent, coaches the agents of the
teams they coach (:func:`quality.selectors.may_audit_agent`); nobody their own work.
Answers are written only through :func:`quality.services.answers.save_answers`, which
records each changed answer in the history and keeps the rollups of counted evaluations in
step; this module records the state changes and the comment.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed

from tenancy.models import Organization, User

from ..enums import EvaluationKind, EvaluationState, ReleaseMode
from ..models import Attribute, AuditAssignment, BestResponse, Evaluation
from ..selectors import may_audit_agent, quality_settings, scorecard_for, sees_all_audits
from .answers import AnswerInput, log_change, save_answers
from .disputes import open_review
from .errors import QualityError
from .evaluations import agent_of, open_evaluation, start_counting

logger = logging.getLogger(__name__)


def _check_may_audit(*, interaction, actor: User) -> None:
    organization = interaction.organization
    agent = agent_of(interaction)
    if agent is not None and agent.pk == actor.pk:
        raise QualityError("You cannot audit your own interactions.", field="interaction")
    if not may_audit_agent(organization, actor, agent):
        raise QualityError(
            "You may audit only the agents of the teams you coach.", field="interaction"
        )


def _check_may_edit(evaluation: Evaluation, actor: User) -> None:
    """A draft belongs to its evaluator; a submitted audit may also be corrected by QA
    analysts and org admins."""
    if evaluation.kind != EvaluationKind.MANUAL:
        raise QualityError("Only audits are edited here.", field="evaluation")
    if evaluation.evaluator_id == actor.pk:
        return
    if evaluation.state != EvaluationState.DRAFT and sees_all_audits(
            evaluation.organization, actor):
        return
    raise QualityError("Only the auditor or a QA analyst may change this audit.",
                       field="evaluation")


def _locked(evaluation: Evaluation) -> Evaluation:
    return (Evaluation.objects.select_for_update(of=("self",))
            .select_related("organization", "scorecard", "interaction")
            .get(pk=evaluation.pk))


@transaction.atomic
def start_audit(*, interaction, evaluator: User) -> Evaluation:
    """The evaluator's audit of ``interaction``: their existing manual evaluation of it (a
    draft, or a submitted one to correct), else a new draft against the current scorecard
    for the interaction's queue. Logs "started" for a new draft."""
    _check_may_audit(interaction=interaction, actor=evaluator)
    organization = interaction.organization
    existing = (Evaluation.objects.filter(
        organization=organization, interaction=interaction, evaluator=evaluator,
        kind=EvaluationKind.MANUAL,
    ).order_by("-created_at", "-id").first())
    if existing is not None:
        return existing
    scorecard = scorecard_for(organization, queue=interaction.queue)
    if scorecard is None:
        raise QualityError(
            "There is no scorecard to audit against: add a default scorecard (or one for "
            f"the queue “{interaction.queue or '—'}”) first.", field="scorecard",
        )
    evaluation = open_evaluation(interaction=interaction, scorecard=scorecard,
                                 kind=EvaluationKind.MANUAL, evaluator=evaluator)
    log_change(evaluation=evaluation, actor=evaluator, action="started", after="Draft")
    return evaluation


def _write(evaluation: Evaluation, *, answers: Iterable[AnswerInput], actor: User,
           comment: str | None, require_complete: bool) -> None:
    editing = evaluation.state != EvaluationState.DRAFT
    save_answers(evaluation=evaluation, answers=list(answers), actor=actor,
                 require_complete=require_complete or editing,
                 action="edited" if editing else "answered")
    if comment is not None and comment.strip() != evaluation.comment:
        before, evaluation.comment = evaluation.comment, comment.strip()
        evaluation.save(update_fields=["comment"])
        log_change(evaluation=evaluation, actor=actor, action="commented",
                   before=before or None, after=evaluation.comment or None)


@transaction.atomic
def save_draft(*, evaluation: Evaluation, answers: Iterable[AnswerInput], actor: User,
               comment: str | None = None) -> Evaluation:
    """Save answers (and the overall comment) of an audit without submitting it. On a
    submitted or released audit this is a correction: every attribute must stay answered,
    each change is logged as "edited" and the rollups follow. Locks the evaluation row."""
    evaluation = _locked(evaluation)
    _check_may_edit(evaluation, actor)
    _write(evaluation, answers=answers, actor=actor, comment=comment, require_complete=False)
    return evaluation


@transaction.atomic
def submit_audit(*, evaluation: Evaluation, actor: User, answers: Iterable[AnswerInput] = (),
                 comment: str | None = None) -> Evaluation:
    """Save the last answers and submit: every attribute must be answered (the error names
    the first one missing; nothing is written then). Released at once or scheduled
    (``release_at``) per the tenant's release mode; the audit starts counting; its
    allocation, if any, is completed; after commit the agreement of the automatic
    scorers is refreshed. Locks the evaluation row."""
    evaluation = _locked(evaluation)
    if evaluation.evaluator_id != actor.pk:
        raise QualityError("Only the auditor submits an audit.", field="evaluation")
    _check_may_edit(evaluation, actor)
    if not can_proceed(evaluation.submit):
        raise QualityError("This audit has already been submitted.", field="evaluation")
    _write(evaluation, answers=answers, actor=actor, comment=comment, require_complete=True)
    organization = evaluation.organization
    settings = quality_settings(organization)
    now = timezone.now()
    evaluation.submit()
    release_now = settings.release_mode != ReleaseMode.AFTER_DELAY
    if not release_now:
        evaluation.release_at = now + timedelta(hours=settings.release_delay_hours)
    start_counting(evaluation, actor=actor, action="submitted")
    if release_now:
        _release(evaluation, actor=actor)
    AuditAssignment.objects.filter(
        organization=organization, interaction_id=evaluation.interaction_id,
        completed_at__isnull=True,
    ).update(evaluation=evaluation, completed_at=now)
    _refresh_agreement(organization)
    return evaluation


def _release(evaluation: Evaluation, *, actor: User | None) -> None:
    evaluation.release()
    evaluation.released_at = evaluation.updated_at = timezone.now()
    evaluation.release_at = None
    evaluation.save(update_fields=["state", "released_at", "release_at", "updated_at"])
    log_change(evaluation=evaluation, actor=actor, action="released", before="Submitted",
               after="Released")
    open_review(evaluation, actor=actor)


def _refresh_agreement(organization: Organization) -> None:
    """Ask the agreement service to recount after the commit, when it is installed (an
    audit never fails because the recount could not be scheduled)."""
    try:
        from .agreement import schedule_agreement_refresh
    except ImportError:
        return
    try:
        schedule_agreement_refresh(organization)
    except Exception:
        logger.exception("Could not schedule the agreement refresh of organization %s.",
                         organization.pk)


def release_due_audits(*, organization: Organization) -> int:
    """Release the organization's submitted audits whose ``release_at`` has passed; return
    how many. Each is locked and re-checked, so two runs never release one twice."""
    now = timezone.now()
    due = list(Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.MANUAL,
        state=EvaluationState.SUBMITTED, release_at__lte=now,
    ).order_by("release_at", "pk").values_list("pk", flat=True))
    released = 0
    for pk in due:
        with transaction.atomic():
            evaluation = (Evaluation.objects.select_for_update(skip_locked=True)
                          .filter(pk=pk, state=EvaluationState.SUBMITTED).first())
            if evaluation is None or not can_proceed(evaluation.release):
                continue
            _release(evaluation, actor=None)
            released += 1
    return released


# --- best responses ---------------------------------------------------------------------


def _attribute_for(interaction, attribute_key: str) -> Attribute:
    scorecard = scorecard_for(interaction.organization, queue=interaction.queue)
    attribute = None
    if scorecard is not None:
        attribute = scorecard.attributes.filter(key=attribute_key).first()
    if attribute is None:
        attribute = (Attribute.objects.filter(
            organization=interaction.organization, key=attribute_key,
            scorecard__is_current=True,
        ).order_by("scorecard__name").first())
    if attribute is None:
        raise QualityError(f"“{attribute_key}” is not an attribute of a current scorecard.",
                           field="attribute")
    return attribute


@transaction.atomic
def bookmark_best_response(*, interaction, attribute_key: str, actor: User,
                           note: str = "") -> BestResponse:
    """Bookmark ``interaction`` as an example of doing one behaviour well (once per
    interaction and attribute)."""
    agent = agent_of(interaction)
    if not may_audit_agent(interaction.organization, actor, agent):
        raise QualityError("You may bookmark only interactions of agents you audit.",
                           field="interaction")
    attribute = _attribute_for(interaction, attribute_key)
    note = (note or "").strip()
    if len(note) > 500:
        raise QualityError("The note is at most 500 characters.", field="note")
    duplicate = BestResponse.objects.filter(
        organization=interaction.organization, interaction=interaction,
        attribute_key=attribute.key,
    ).exists()
    if not duplicate:
        try:
            with transaction.atomic():
                return BestResponse.objects.create(
                    organization=interaction.organization, interaction=interaction,
                    attribute_key=attribute.key, attribute_name=attribute.name, note=note,
                    created_by=actor,
                )
        except IntegrityError:
            pass
    raise QualityError(
        f"{interaction.label} is already a best response for “{attribute.name}”.",
        field="attribute",
    )


@transaction.atomic
def remove_best_response(*, best_response: BestResponse, actor: User) -> None:
    """Remove a bookmark (its author, QA analysts and org admins)."""
    if best_response.created_by_id != actor.pk and not sees_all_audits(
            best_response.organization, actor):
        raise QualityError("Only who bookmarked it or a QA analyst may remove it.",
                           field="best_response")
    best_response.delete()
