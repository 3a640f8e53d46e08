"""Opening evaluations and moving them through their lifecycle — shared by the automatic
scorer, the audit screen and the API."""

from django.db import transaction
from django.utils import timezone

from tenancy.errors import same_tenant
from tenancy.models import User
from work.enums import INTERACTION_KINDS

from ..enums import EvaluationKind
from ..models import Evaluation, Scorecard
from .answers import apply_rollups, log_change
from .errors import QualityError


def agent_of(interaction) -> User | None:
    """Whose work an interaction is: who resolved it, else who it is assigned to."""
    return interaction.resolved_by or interaction.assigned_to


@transaction.atomic
def open_evaluation(
    *, interaction, scorecard: Scorecard, kind: str, evaluator: User | None = None,
    scorer: str = "", calibration_item=None,
) -> Evaluation:
    """A new draft evaluation of ``interaction`` against ``scorecard`` (a version).

    Refuses an interaction or scorecard of another tenant, a work item that is not a call,
    chat or e-mail, and an interaction without an agent. Writes nothing else: answers come
    through :func:`quality.services.answers.save_answers`. A calibration evaluation
    belongs to its session's ``calibration_item``.
    """
    same_tenant(scorecard, interaction,
                message="The interaction and the scorecard belong to different organizations.")
    if kind not in EvaluationKind.values:
        raise QualityError(f"Unknown evaluation kind “{kind}”.", field="kind")
    if interaction.kind not in INTERACTION_KINDS:
        raise QualityError(
            f"{interaction.label} is a {interaction.get_kind_display().lower()}; only calls, "
            "chats and e-mails are evaluated.", field="interaction",
        )
    agent = agent_of(interaction)
    if agent is None:
        raise QualityError(
            f"{interaction.label} has no agent (nobody is assigned to it or resolved it), so "
            "there is nobody to evaluate.", field="interaction",
        )
    return Evaluation.objects.create(
        organization_id=interaction.organization_id, interaction=interaction, agent=agent,
        scorecard=scorecard, kind=kind, evaluator=evaluator, scorer=scorer,
        interaction_at=interaction.opened_at or interaction.created_at,
        calibration_item=calibration_item,
    )


def start_counting(evaluation: Evaluation, *, actor: User | None, action: str) -> None:
    """After a transition that made a draft count (submit / publish): add it to the
    rollups and record the state change. The caller holds the row lock."""
    now = timezone.now()
    if evaluation.submitted_at is None:
        evaluation.submitted_at = now
    if evaluation.state == "released" and evaluation.released_at is None:
        evaluation.released_at = now
    evaluation.updated_at = now
    evaluation.save(update_fields=["state", "submitted_at", "released_at", "updated_at",
                                   "release_at"])
    if evaluation.counts:
        apply_rollups(evaluation, sign=1)
    log_change(evaluation=evaluation, actor=actor, action=action, before=None,
               after=evaluation.get_state_display())
