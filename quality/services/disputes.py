"""Agent accept & dispute: the agent's review of a released audit, and the reviewers'
decisions.

When the tenant turned "Agent accept & dispute" on (:class:`quality.selectors.
DisputeSettings`), releasing an audit opens its review (:func:`open_review`): the agent has
``window_days`` to :func:`acknowledge` it or :func:`raise_dispute` on one or more
disputable attributes, each with a reason and optionally the answer they propose. A
dispute round goes to a reviewer — the auditor, or the tenant's arbitrator for the last
round — who must decide it within ``sla_hours``: :func:`decide_dispute` upholds or changes
each contested attribute with a comment. A change goes through
:func:`quality.services.answers.save_answers`, so the total, the history and the rollups
follow. After a decision the agent may accept the outcome or dispute again until
``max_rounds``; the last round's decision resolves the review. A review the agent leaves
past its window is closed by :func:`close_expired_reviews` and the score stands.

Every function locks the evaluation row and re-checks its state under the lock, so two
requests at once take effect exactly once; errors are :class:`QualityError` naming the
field, and nothing is written then.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from tenancy.models import Organization, User

from ..enums import (
    AWAITING_AGENT,
    DisputeDecision,
    EvaluationKind,
    EvaluationState,
    ReviewState,
)
from ..models import Answer, Dispute, DisputeItem, Evaluation
from ..selectors import quality_settings, sees_all_audits
from .answers import AnswerInput, log_change, parse_answer, save_answers
from .errors import QualityError

logger = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_ITEMS_COMMENT = 2000


@dataclass
class DisputedAttribute:
    """One attribute an agent contests: why, and optionally the answer they propose
    (``"yes"``, ``"no"``, ``"na"`` or a scale value; ``None`` for none)."""

    attribute_key: str
    reason: str
    proposed: Any = None


@dataclass
class Decision:
    """A reviewer's decision on one contested attribute: ``upheld`` (the answer stands) or
    ``changed`` to ``answer``, always with a comment the agent reads."""

    attribute_key: str
    decision: str
    comment: str
    answer: Any = None


def _locked(evaluation: Evaluation) -> Evaluation:
    return (Evaluation.objects.select_for_update(of=("self",))
            .select_related("organization", "scorecard", "interaction", "evaluator", "agent")
            .get(pk=evaluation.pk))


def _check_agent(evaluation: Evaluation, agent: User) -> None:
    if evaluation.agent_id is None or evaluation.agent_id != agent.pk:
        raise QualityError("Only the agent whose work was audited answers its review.",
                           field="evaluation")


def _check_window(evaluation: Evaluation, now) -> None:
    if evaluation.review_due_at is not None and evaluation.review_due_at <= now:
        raise QualityError(
            "The review window of this audit closed on "
            f"{timezone.localtime(evaluation.review_due_at):%Y-%m-%d %H:%M}; its score stands.",
            field="evaluation",
        )


# --- opening -----------------------------------------------------------------------------


def open_review(evaluation: Evaluation, *, actor: User | None = None) -> bool:
    """Open the agent's review of an audit just released, when the tenant has disputes on;
    return whether it did. Called by the release, inside its transaction (the caller holds
    the row lock)."""
    settings = quality_settings(evaluation.organization).disputes
    if (not settings.enabled or evaluation.kind != EvaluationKind.MANUAL
            or evaluation.state != EvaluationState.RELEASED or evaluation.agent_id is None
            or not can_proceed(evaluation.request_review)):
        return False
    evaluation.request_review()
    evaluation.review_due_at = ((evaluation.released_at or timezone.now())
                                + timedelta(days=settings.window_days))
    evaluation.save(update_fields=["review_state", "review_due_at"])
    log_change(evaluation=evaluation, actor=actor, action="review requested",
               after=ReviewState.PENDING_AGENT.label)
    pk = evaluation.pk
    transaction.on_commit(lambda: _tell("review_requested", pk))
    return True


# --- the agent ---------------------------------------------------------------------------


@transaction.atomic
def acknowledge(*, evaluation: Evaluation, agent: User) -> Evaluation:
    """The agent accepts the audit (or, after a re-evaluation, its outcome)."""
    evaluation = _locked(evaluation)
    _check_agent(evaluation, agent)
    if evaluation.review_state not in AWAITING_AGENT:
        raise QualityError(_not_awaiting(evaluation), field="evaluation")
    now = timezone.now()
    _check_window(evaluation, now)
    before = evaluation.get_review_state_display()
    if evaluation.review_state == ReviewState.PENDING_AGENT:
        evaluation.accept()
    else:
        evaluation.accept_outcome()
    evaluation.reviewed_at = now
    evaluation.save(update_fields=["review_state", "reviewed_at"])
    log_change(evaluation=evaluation, actor=agent, action="accepted", before=before,
               after=evaluation.get_review_state_display())
    return evaluation


def _not_awaiting(evaluation: Evaluation) -> str:
    state = evaluation.review_state
    if state == ReviewState.NONE:
        return "This audit is not open for review."
    if state == ReviewState.PENDING_SUPERVISOR:
        return "Your dispute is with the reviewer; wait for their decision."
    return f"The review of this audit is over ({evaluation.get_review_state_display()})."


@transaction.atomic
def raise_dispute(*, evaluation: Evaluation, agent: User,
                  items: Iterable[DisputedAttribute]) -> Dispute:
    """The agent disputes one or more attributes of the audit: a new round goes to its
    reviewer (the auditor; the tenant's arbitrator, when it has one, for the last round and
    for every round of an audit nobody signed), who is told by e-mail after the commit."""
    evaluation = _locked(evaluation)
    _check_agent(evaluation, agent)
    settings = quality_settings(evaluation.organization).disputes
    if not settings.enabled:
        raise QualityError("Disputes are turned off in this organization.",
                           field="evaluation")
    if evaluation.review_state not in AWAITING_AGENT:
        raise QualityError(_not_awaiting(evaluation), field="evaluation")
    now = timezone.now()
    _check_window(evaluation, now)
    if evaluation.review_rounds >= settings.max_rounds:
        raise QualityError(
            f"This audit was disputed {evaluation.review_rounds} times, the most allowed.",
            field="evaluation",
        )
    items = list(items)
    if not items:
        raise QualityError("Choose at least one attribute to dispute.", field="items")
    answers = {a.attribute.key: a for a in evaluation.answers.select_related("attribute")}
    rows: list[DisputeItem] = []
    seen: set[str] = set()
    for item in items:
        answer = answers.get(item.attribute_key)
        if answer is None:
            raise QualityError(f"“{item.attribute_key}” is not an attribute of this audit.",
                               field=item.attribute_key)
        attribute = answer.attribute
        if item.attribute_key in seen:
            raise QualityError(f"“{attribute.name}” is disputed twice.", field=attribute.key)
        seen.add(item.attribute_key)
        if not attribute.disputable:
            raise QualityError(f"“{attribute.name}” cannot be disputed.", field=attribute.key)
        reason = (item.reason or "").strip()
        if not reason:
            raise QualityError(f"Say why you dispute “{attribute.name}”.", field=attribute.key)
        if len(reason) > MAX_REASON:
            raise QualityError(f"The reason is at most {MAX_REASON:,} characters.",
                               field=attribute.key)
        value, na = parse_answer(attribute, item.proposed)
        if (value is not None or na) and (value, na) == (answer.value, answer.na):
            raise QualityError(
                f"You propose the answer “{answer.display}” “{attribute.name}” already has; "
                "propose another or none.", field=attribute.key,
            )
        rows.append(DisputeItem(
            organization_id=evaluation.organization_id, attribute=attribute, reason=reason,
            proposed_value=value, proposed_na=na, original=answer.display,
        ))

    round_no = evaluation.review_rounds + 1
    reviewer = evaluation.evaluator
    if settings.arbitrator_id and (round_no == settings.max_rounds or reviewer is None):
        reviewer = User.objects.filter(pk=settings.arbitrator_id).first() or reviewer
    dispute = Dispute.objects.create(
        organization_id=evaluation.organization_id, evaluation=evaluation, round=round_no,
        raised_by=agent, raised_at=now, reviewer=reviewer,
        due_at=now + timedelta(hours=settings.sla_hours), total_before=evaluation.total,
    )
    for row in rows:
        row.dispute = dispute
    DisputeItem.objects.bulk_create(rows)
    before = evaluation.get_review_state_display()
    evaluation.dispute()
    evaluation.review_rounds = round_no
    evaluation.save(update_fields=["review_state", "review_rounds"])
    log_change(evaluation=evaluation, actor=agent, action="disputed", before=before,
               after=evaluation.get_review_state_display(),
               note=f"Round {round_no}: " + ", ".join(r.attribute.name for r in rows))
    transaction.on_commit(lambda: _tell("dispute_raised", dispute.pk))
    return dispute


# --- the reviewer ------------------------------------------------------------------------


def may_decide(dispute: Dispute, user: User) -> bool:
    """The dispute's reviewer decides it; QA analysts and org admins may too."""
    return dispute.reviewer_id == user.pk or sees_all_audits(dispute.organization, user)


@transaction.atomic
def decide_dispute(*, dispute: Dispute, reviewer: User,
                   decisions: Iterable[Decision]) -> Dispute:
    """Uphold or change each contested attribute of an open round, with a comment. Changes
    are written as answers (history, total, rollups); the review moves on to the agent
    (re-evaluated) or, after the last round, is resolved. Deciding twice — two reviewers at
    once — is refused: the first decision stands."""
    evaluation = _locked(dispute.evaluation)
    dispute = (Dispute.objects.select_for_update(of=("self",)).select_related("organization")
               .get(pk=dispute.pk))
    if not may_decide(dispute, reviewer):
        raise QualityError("Only the dispute's reviewer or a QA analyst decides it.",
                           field="dispute")
    if dispute.decided_at is not None:
        raise QualityError("This dispute has already been decided.", field="dispute")
    if evaluation.review_state != ReviewState.PENDING_SUPERVISOR:
        raise QualityError("This audit is not waiting for a dispute decision.",
                           field="dispute")
    items = {i.attribute.key: i for i in dispute.items.select_related("attribute")}
    given: dict[str, Decision] = {}
    for decision in decisions:
        if decision.attribute_key not in items:
            raise QualityError(f"“{decision.attribute_key}” is not disputed in this round.",
                               field=decision.attribute_key)
        if decision.attribute_key in given:
            raise QualityError("An attribute is decided once.", field=decision.attribute_key)
        given[decision.attribute_key] = decision
    missing = [i.attribute.name for key, i in items.items() if key not in given]
    if missing:
        raise QualityError(f"Decide every disputed attribute: {', '.join(missing)}.",
                           field=next(k for k in items if k not in given))

    stored = {a.attribute.key: a for a in evaluation.answers.select_related("attribute")}
    changes: list[AnswerInput] = []
    for key, item in items.items():
        decision = given[key]
        attribute = item.attribute
        comment = (decision.comment or "").strip()
        if not comment:
            raise QualityError(f"Tell the agent why, for “{attribute.name}”.", field=key)
        if len(comment) > MAX_ITEMS_COMMENT:
            raise QualityError(f"The comment is at most {MAX_ITEMS_COMMENT:,} characters.",
                               field=key)
        if decision.decision not in DisputeDecision.values:
            raise QualityError(f"Uphold or change “{attribute.name}”.", field=key)
        current: Answer = stored[key]
        item.comment = comment
        item.decision = decision.decision
        if decision.decision == DisputeDecision.UPHELD:
            item.decided = current.display
            continue
        value, na = parse_answer(attribute, decision.answer)
        if value is None and not na:
            raise QualityError(f"Give the new answer for “{attribute.name}”.", field=key)
        if (value, na) == (current.value, current.na):
            raise QualityError(
                f"“{attribute.name}” is already “{current.display}”: uphold it instead.",
                field=key,
            )
        changes.append(AnswerInput(
            attribute_key=key, answer=decision.answer, comment=current.comment,
            evidence=list(current.evidence or []),
        ))
    if changes:
        save_answers(evaluation=evaluation, answers=changes, actor=reviewer,
                     require_complete=True, action="changed on dispute",
                     note=f"Dispute round {dispute.round}",
                     stored=stored.values())
        decided = {a.attribute.key: a.display
                   for a in evaluation.answers.select_related("attribute")}
        for key, item in items.items():
            if item.decision == DisputeDecision.CHANGED:
                item.decided = decided[key]
    DisputeItem.objects.bulk_update(list(items.values()), ["decision", "decided", "comment"])

    now = timezone.now()
    settings = quality_settings(evaluation.organization).disputes
    dispute.decided_at, dispute.decided_by = now, reviewer
    dispute.total_after = evaluation.total
    dispute.save(update_fields=["decided_at", "decided_by", "total_after"])
    before = evaluation.get_review_state_display()
    if dispute.round >= settings.max_rounds:
        evaluation.resolve()
        evaluation.reviewed_at = now
    else:
        evaluation.re_evaluate()
        evaluation.review_due_at = now + timedelta(days=settings.window_days)
    evaluation.save(update_fields=["review_state", "reviewed_at", "review_due_at"])
    changed = sum(1 for i in items.values() if i.decision == DisputeDecision.CHANGED)
    log_change(evaluation=evaluation, actor=reviewer, action="dispute decided",
               before=before, after=evaluation.get_review_state_display(),
               note=f"Round {dispute.round}: {changed} of {len(items)} changed")
    transaction.on_commit(lambda: _tell("dispute_decided", dispute.pk))
    return dispute


# --- housekeeping ------------------------------------------------------------------------


def close_expired_reviews(*, organization: Organization) -> int:
    """Close the reviews whose agent let the window pass (the score stands); return how
    many. Each is locked and re-checked, so two runs never close one twice."""
    now = timezone.now()
    due = list(Evaluation.objects.filter(
        organization=organization, review_state__in=AWAITING_AGENT, review_due_at__lte=now,
    ).order_by("review_due_at", "pk").values_list("pk", flat=True))
    closed = 0
    for pk in due:
        with transaction.atomic():
            evaluation = (Evaluation.objects.select_for_update(skip_locked=True)
                          .filter(pk=pk, review_state__in=AWAITING_AGENT).first())
            if evaluation is None:
                continue
            before = evaluation.get_review_state_display()
            evaluation.close_review()
            evaluation.reviewed_at = now
            evaluation.save(update_fields=["review_state", "reviewed_at"])
            log_change(evaluation=evaluation, actor=None, action="review closed",
                       before=before, after=evaluation.get_review_state_display(),
                       note="The agent did not answer within the window.")
            closed += 1
    return closed


def _tell(event: str, dispute_pk: int) -> None:
    """E-mail the people a dispute event concerns, when the notifications are installed
    (a dispute never fails because an e-mail could not be sent). ``dispute_pk`` is the
    evaluation's for ``review_requested``."""
    try:
        from .. import notifications
    except ImportError:
        return
    handler = getattr(notifications, event, None)
    if handler is None:
        return
    try:
        handler(dispute_pk)
    except Exception:
        logger.exception("Could not send the %s e-mail of dispute %s.", event, dispute_pk)
