"""Reads of the agent's side of "Agent accept & dispute": the review of one audit as its
evaluation page shows it (rounds, contested attributes, what the agent may still do), and
the agent's Review section of My coaching (Pending review, Disputes, Resolved).

Every list reads a constant number of queries whatever its length.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tenancy.models import Organization, User

from .enums import (
    AWAITING_AGENT,
    REVIEW_FINISHED,
    AnswerType,
    EvaluationKind,
    EvaluationState,
    ReviewState,
)
from .models import Answer, Dispute, DisputeItem, Evaluation
from .selectors import DisputeSettings, quality_settings

# --- the review of one audit (its evaluation page) --------------------------------------


@dataclass
class DisputeRow:
    """One attribute in the agent's dispute form: its answer, whether it may be disputed,
    the answers the agent may propose, and what the agent typed (kept after an error)."""

    answer: Answer
    chosen: bool = False
    reason: str = ""
    proposed: str = ""
    error: str = ""

    @property
    def attribute(self):
        return self.answer.attribute

    @property
    def key(self) -> str:
        return self.answer.attribute.key

    @property
    def disputable(self) -> bool:
        return self.answer.attribute.disputable

    @property
    def proposals(self) -> list[tuple[str, str]]:
        """``(value, label)`` of the answers the agent may propose: every answer of the
        attribute but the one it has."""
        attribute = self.answer.attribute
        if attribute.answer_type == AnswerType.SCALE:
            options = [(str(n), f"{n}/{attribute.scale_max}")
                       for n in range(attribute.scale_max + 1)]
        else:
            options = [("yes", "Yes"), ("no", "No")]
        if attribute.na_allowed:
            options.append(("na", "N/A"))
        return [(value, label) for value, label in options if label != self.answer.display]


@dataclass
class AgentReview:
    """The review of one audit as its page shows it."""

    evaluation: Evaluation
    settings: DisputeSettings
    rounds: list[Dispute]
    is_agent: bool  # the viewer is the audited agent
    now: datetime
    rows: list[DisputeRow] = field(default_factory=list)
    error: object = None  # a QualityError from the last post
    general_error: str = ""  # an error that names no attribute
    may_open_rounds: bool = False  # the viewer reviews disputes (the rounds' decision pages)

    @property
    def state(self) -> str:
        return self.evaluation.review_state

    @property
    def state_label(self) -> str:
        return self.evaluation.get_review_state_display()

    @property
    def awaiting_agent(self) -> bool:
        return self.state in AWAITING_AGENT

    @property
    def window_open(self) -> bool:
        due = self.evaluation.review_due_at
        return self.awaiting_agent and (due is None or due > self.now)

    @property
    def window_passed(self) -> bool:
        return self.awaiting_agent and not self.window_open

    @property
    def may_answer(self) -> bool:
        """The agent may accept (or accept the outcome) now."""
        return self.is_agent and self.window_open

    @property
    def rounds_left(self) -> int:
        return max(0, self.settings.max_rounds - self.evaluation.review_rounds)

    @property
    def may_dispute(self) -> bool:
        return (self.may_answer and self.settings.enabled and self.rounds_left > 0
                and any(row.disputable for row in self.rows))

    @property
    def open_round(self) -> Dispute | None:
        return next((d for d in self.rounds if d.decided_at is None), None)

    @property
    def form_open(self) -> bool:
        """Show the dispute form unfolded: the agent's last post had an error."""
        return self.error is not None


def review_rounds(evaluation: Evaluation) -> list[Dispute]:
    """The audit's dispute rounds, first first, with their items (two queries)."""
    return list(
        Dispute.objects.filter(organization_id=evaluation.organization_id, evaluation=evaluation)
        .select_related("reviewer", "decided_by")
        .prefetch_related(Prefetch(
            "items", queryset=DisputeItem.objects.select_related("attribute")
            .order_by("attribute__position", "attribute_id")))
        .order_by("round")
    )


def agent_review(evaluation: Evaluation, user: User, *, posted=None,
                 error=None) -> AgentReview | None:
    """The review of an audit for its page, or None when the audit is not under review.

    For its agent while they may answer, ``rows`` holds the dispute form's attributes;
    ``posted`` (the request's POST) and ``error`` (the service's QualityError) keep what
    the agent typed and put the error next to its attribute."""
    if evaluation.kind != EvaluationKind.MANUAL or evaluation.review_state == ReviewState.NONE:
        return None
    review = AgentReview(
        evaluation=evaluation, settings=quality_settings(evaluation.organization).disputes,
        rounds=review_rounds(evaluation), is_agent=evaluation.agent_id == user.pk,
        now=timezone.now(), error=error,
    )
    if not review.may_answer:
        review.general_error = error.message if error is not None else ""
        return review
    answers = (Answer.objects.filter(organization_id=evaluation.organization_id,
                                     evaluation=evaluation)
               .select_related("attribute").order_by("attribute__position", "attribute_id"))
    chosen = set(posted.getlist("dispute")) if posted is not None else set()
    for answer in answers:
        key = answer.attribute.key
        row = DisputeRow(answer=answer, chosen=key in chosen)
        if posted is not None:
            row.reason = posted.get(f"reason-{key}", "")
            row.proposed = posted.get(f"proposed-{key}", "")
        if error is not None and error.field == key:
            row.error = error.message
        review.rows.append(row)
    if error is not None and error.field not in {row.key for row in review.rows}:
        review.general_error = error.message
    return review


# --- the agent's Review section of My coaching ------------------------------------------

REVIEW_TABS = ("pending", "disputes", "resolved")

_UNDER_REVIEW = ~Q(review_state=ReviewState.NONE)
_TAB_FILTERS = {
    # Awaiting the agent or the reviewer: the review is not over.
    "pending": _UNDER_REVIEW & ~Q(review_state__in=REVIEW_FINISHED),
    # Disputed at least once, not over yet.
    "disputes": Q(review_rounds__gte=1) & _UNDER_REVIEW & ~Q(review_state__in=REVIEW_FINISHED),
    # Accepted, resolved or closed.
    "resolved": Q(review_state__in=REVIEW_FINISHED),
}


def reviewed_audits(organization: Organization, agent: User) -> QuerySet[Evaluation]:
    """The agent's own released audits that went to their review."""
    return Evaluation.objects.filter(
        organization=organization, agent=agent, kind=EvaluationKind.MANUAL,
        state=EvaluationState.RELEASED,
    ).filter(_UNDER_REVIEW)


def review_counts(organization: Organization, agent: User) -> dict[str, int]:
    """How many audits each tab of the agent's Review section holds (one query)."""
    return reviewed_audits(organization, agent).aggregate(
        **{tab: Count("pk", filter=condition) for tab, condition in _TAB_FILTERS.items()})


def review_tab(organization: Organization, agent: User, tab: str) -> QuerySet[Evaluation]:
    """The rows of one tab, with the interaction (its queue): open reviews newest
    interaction first; resolved ones by when they ended, latest first."""
    qs = (reviewed_audits(organization, agent).filter(_TAB_FILTERS[tab])
          .select_related("interaction"))
    if tab == "resolved":
        return qs.order_by("-reviewed_at", "-id")
    return qs.order_by("-interaction_at", "-id")
