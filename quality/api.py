"""HTTP API of the quality app: the tenant's scorecards, evaluations (list with a cursor,
read one) and evaluations posted by an outside QA system.

Mounted at ``/api/v1/scorecards`` and ``/api/v1/evaluations`` by :mod:`config.api` (token
auth, tenant scope). An organization's token sees every evaluation of its organization
except calibration ones, which are listed only with ``?kind=calibration``; a member's
personal token sees what that member may open (an agent: their own released ones). The
agent's review of an audit (accept & dispute) is read in ``review`` and answered with
``POST …/acknowledge`` and ``POST …/disputes``, by the agent's personal token only.
"""

from datetime import datetime
from typing import Annotated, Literal

from django.db.models import Prefetch
from ninja import Field, Query, Router, Schema, Status

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.api_paging import BadCursor, newest_first_page
from tenancy.api_types import Body, Cursor, Id, errors, personal_tokens_allowed, text
from tenancy.validation import LONG_TEXT

from .enums import CalibrationState, EvaluationKind, ReviewState
from .models import Answer, AttributeAgreement, Dispute, DisputeItem, Evaluation
from .selectors import current_scorecards, visible_evaluations
from .services.disputes import MAX_REASON, DisputedAttribute, acknowledge, raise_dispute
from .services.imports import EvaluationInvalid, PostedAnswer, post_evaluation

scorecards_router = Router()
evaluations_router = Router()

Kind = Literal[tuple(EvaluationKind.values)]
PAGE_SIZE = 100
MAX_ANSWERS = 200
Turn = Annotated[int, Field(ge=0, le=100_000)]


# --- scorecards ------------------------------------------------------------------------


class AttributeOut(Schema):
    name: str
    section: str
    answer: str = Field(description="“yes_no”, or “scale:N” for a 0–N scale.")
    weight: int
    critical: bool = Field(description="A failed answer (no, or 0) sets the total to 0.")
    na_allowed: bool
    disputable: bool
    guidance: str
    auto: dict[str, object] | None = Field(
        description="How it is scored automatically (a rule), or null: only by hand.")


class ScorecardOut(Schema):
    name: str
    default: bool
    queue: str = Field(description="The queue it is used for; empty when none.")
    version: int
    description: str
    attributes: list[AttributeOut]


@scorecards_router.get("", response={200: list[ScorecardOut], **errors()},
                       summary="List the current scorecards")
def list_scorecards(request):
    """Every current scorecard version of the organization, in the shape
    ``import_scorecards`` reads (plus ``version``)."""
    return Status(200, [
        {"name": card.name, "default": card.is_default, "queue": card.queue,
         "version": card.version, "description": card.description,
         "attributes": [
             {"name": a.name, "section": a.section, "answer": a.answer_label,
              "weight": a.weight, "critical": a.critical, "na_allowed": a.na_allowed,
              "disputable": a.disputable, "guidance": a.guidance, "auto": a.auto}
             for a in card.attributes.all()]}
        for card in current_scorecards(request.auth.organization)
    ])


# --- evaluations -----------------------------------------------------------------------


class AnswerOut(Schema):
    attribute: str
    answer: Literal["yes", "no", "na"] | int | None = Field(
        description="yes / no / na, a whole number on a scale, or null (a draft's blank).")
    evidence: list[int] = Field(description="Transcript turn indexes (0-based).")
    comment: str
    verified: bool = Field(description=(
        "Whether the answer counts in dashboards: a person's answer always; an automatic "
        "one when its scorer is verified against audits for this attribute."))


class EvaluationOut(Schema):
    id: int
    interaction: str = Field(description="The interaction's external_id.")
    agent: str | None = Field(description="Username of the agent whose work was scored.")
    kind: Kind
    state: Literal["draft", "submitted", "released"]
    scorecard: str
    version: int
    total: float | None = Field(description="0–100; 0 when a critical attribute failed.")
    critical_failed: bool
    sentiment: float | None = Field(description="The customer's sentiment, −1 … 1.")
    evaluator: str | None = Field(description="Username of the person who scored, if any.")
    scorer: str = Field(description="The automatic scorer and its version (automatic only).")
    comment: str
    interaction_at: datetime
    submitted_at: datetime | None
    released_at: datetime | None
    answers: list[AnswerOut]


class EvaluationPage(Schema):
    items: list[EvaluationOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at end.")


class EvaluationFilters(Schema):
    interaction: text(200, min_length=1) | None = Field(
        None, description="The interaction's external_id.")
    kind: Kind | None = Field(None, description="calibration lists calibration evaluations "
                                                "of revealed sessions, which are otherwise "
                                                "left out.")
    agent: text(150, min_length=1) | None = Field(None, description="Username of the agent.")
    cursor: Cursor | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


class AnswerIn(Body):
    attribute: text(150, min_length=1) = Field(description="The attribute's name.")
    answer: text(20) | int = Field(
        description="yes / no / na on a yes/no attribute; a whole number 0–N (or na) on a "
                    "0–N scale. Checked against the attribute: a wrong one is a 422 naming "
                    "answers[i].answer.")
    comment: text(LONG_TEXT) = ""
    evidence: list[Turn] = Field(default_factory=list, max_length=1000,
                                 description="Transcript turn indexes (0-based).")


def _evaluations(organization):
    """The organization token's evaluations: every one, except calibration scores of a
    session still scoring blind (nobody reads those before the reveal)."""
    return (Evaluation.objects.filter(organization=organization)
            .exclude(kind=EvaluationKind.CALIBRATION,
                     calibration_item__session__state=CalibrationState.SCORING)
            .select_related("interaction", "agent", "scorecard", "evaluator")
            .prefetch_related(Prefetch("answers",
                                       queryset=Answer.objects.select_related("attribute"))))


def _evaluations_for(auth):
    """The evaluations the token may read: the organization's for its own token, what the
    person may open for a personal one."""
    if not auth.is_personal:
        return _evaluations(auth.organization)
    return (visible_evaluations(auth.organization, auth.user)
            .prefetch_related(Prefetch("answers",
                                       queryset=Answer.objects.select_related("attribute"))))


def _verified(organization) -> set[tuple[str, str, str]]:
    return set(AttributeAgreement.objects.filter(organization=organization, verified=True)
               .values_list("scorecard_key", "attribute_key", "scorer"))


def _out(evaluation: Evaluation, verified: set) -> dict:
    auto = evaluation.kind == EvaluationKind.AUTO
    return {
        "id": evaluation.pk, "interaction": evaluation.interaction.external_id,
        "agent": evaluation.agent.username if evaluation.agent else None,
        "kind": evaluation.kind, "state": evaluation.state,
        "scorecard": evaluation.scorecard.name, "version": evaluation.scorecard.version,
        "total": evaluation.total, "critical_failed": evaluation.critical_failed,
        "sentiment": evaluation.sentiment,
        "evaluator": evaluation.evaluator.username if evaluation.evaluator else None,
        "scorer": evaluation.scorer, "comment": evaluation.comment,
        "interaction_at": evaluation.interaction_at, "submitted_at": evaluation.submitted_at,
        "released_at": evaluation.released_at,
        "answers": [
            {"attribute": a.attribute.name, "answer": a.api_value,
             "evidence": list(a.evidence or []), "comment": a.comment,
             "verified": (not auto) or (evaluation.scorecard.key, a.attribute.key,
                                        a.scorer) in verified}
            for a in evaluation.answers.all()
        ],
    }


@evaluations_router.get("", response={200: EvaluationPage, **errors(400)},
                        summary="List evaluations (newest first)")
@personal_tokens_allowed
def list_evaluations(request, filters: Query[EvaluationFilters]):
    """Filter by interaction (external_id), kind and agent; page with ``next_cursor``.

    Personal tokens allowed: they list what their person may open (an agent: their own
    released evaluations)."""
    organization = request.auth.organization
    qs = _evaluations_for(request.auth)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    else:
        qs = qs.exclude(kind=EvaluationKind.CALIBRATION)
    if filters.interaction:
        qs = qs.filter(interaction__external_id=filters.interaction)
    if filters.agent:
        qs = qs.filter(agent__username=filters.agent)
    try:
        rows, next_cursor = newest_first_page(qs, filters.cursor, filters.limit)
    except BadCursor as refused:
        return Status(400, {"detail": str(refused)})
    verified = _verified(organization)
    if filters.agent and rows:  # one agent's evaluations: logged once per page read
        record_access(request, subject=rows[0].agent_id, kind=AccessKind.EVALUATION,
                      label="Evaluations (API list)")
    return Status(200, {"items": [_out(e, verified) for e in rows], "next_cursor": next_cursor})


# --- the agent's review: accept or dispute (personal tokens of the agent) ---------------

NO_EVALUATION = "No evaluation with this id in your organization."
ONLY_THE_AGENT = ("Only the agent whose work was audited answers its review, with their own "
                  "personal API token (My profile → API tokens).")


class DisputeItemOut(Schema):
    attribute_key: str
    attribute_name: str
    reason: str
    proposed: str = Field(description="The answer the agent proposed, as shown; empty: none.")
    original: str = Field(description="The answer disputed, as shown.")
    decision: Literal["upheld", "changed", ""] = Field(description="Empty until decided.")
    decided: str = Field(description="The answer decided, as shown; empty until decided.")
    comment: str = Field(description="The reviewer's comment to the agent.")


class DisputeOut(Schema):
    round: int
    raised_at: datetime
    reviewer: str | None = Field(description="Username of who decides it.")
    due_at: datetime = Field(description="The reviewers' service level: decided by then.")
    decided_at: datetime | None
    total_before: float | None
    total_after: float | None = Field(description="The total after the decision.")
    items: list[DisputeItemOut]


class ReviewOut(Schema):
    state: Literal[tuple(ReviewState.values)] = Field(
        description="Empty: not under review (not an audit, or disputes are off).")
    state_label: str
    rounds: int = Field(description="Dispute rounds raised so far.")
    due_at: datetime | None = Field(description="Until when the agent may accept or dispute.")
    reviewed_at: datetime | None = Field(description="When the review ended.")
    disputes: list[DisputeOut]


class EvaluationDetailOut(EvaluationOut):
    review: ReviewOut


class DisputedAttributeIn(Body):
    attribute_key: text(100, min_length=1) = Field(
        description="The attribute's key (a disputable attribute of the audit).")
    reason: text(MAX_REASON) = Field(description="Why the agent disputes it.")
    proposed: Literal["yes", "no", "na"] | Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="The answer the agent proposes (optional).")


class DisputeIn(Body):
    items: list[DisputedAttributeIn] = Field(min_length=1, max_length=MAX_ANSWERS)


def _with_review(queryset):
    return queryset.prefetch_related(Prefetch(
        "disputes", queryset=Dispute.objects.select_related("reviewer").prefetch_related(
            Prefetch("items", queryset=DisputeItem.objects.select_related("attribute")))))


def _detail(evaluation: Evaluation, verified: set) -> dict:
    return {**_out(evaluation, verified), "review": {
        "state": evaluation.review_state,
        "state_label": evaluation.get_review_state_display(),
        "rounds": evaluation.review_rounds, "due_at": evaluation.review_due_at,
        "reviewed_at": evaluation.reviewed_at,
        "disputes": [
            {"round": d.round, "raised_at": d.raised_at,
             "reviewer": d.reviewer.username if d.reviewer else None, "due_at": d.due_at,
             "decided_at": d.decided_at, "total_before": d.total_before,
             "total_after": d.total_after,
             "items": [{"attribute_key": i.attribute.key, "attribute_name": i.attribute.name,
                        "reason": i.reason, "proposed": i.proposed, "original": i.original,
                        "decision": i.decision, "decided": i.decided, "comment": i.comment}
                       for i in d.items.all()]}
            for d in evaluation.disputes.all()],
    }}


@evaluations_router.get("/{evaluation_id}",
                        response={200: EvaluationDetailOut, **errors(404)},
                        summary="Read one evaluation, with the agent's review")
@personal_tokens_allowed
def get_evaluation(request, evaluation_id: Id):
    """The evaluation and, in ``review``, the agent's accept & dispute review with every
    dispute round. Personal tokens allowed: only evaluations their person may open."""
    organization = request.auth.organization
    evaluation = _with_review(_evaluations_for(request.auth)).filter(pk=evaluation_id).first()
    if evaluation is None:
        return Status(404, {"detail": NO_EVALUATION})
    record_access(request, subject=evaluation.agent_id, kind=AccessKind.EVALUATION,
                  obj=evaluation, label=f"{evaluation.get_kind_display()} of "
                                        f"{evaluation.interaction.label}")
    return Status(200, _detail(evaluation, _verified(organization)))


def _agents_evaluation(request, evaluation_id: int):
    """``(evaluation, refusal)``: the personal token's person's own evaluation, or the
    answer to give (403 for an organization token or someone else's, 404 if unseen)."""
    auth = request.auth
    if not auth.is_personal:
        return None, Status(403, {"detail": ONLY_THE_AGENT})
    evaluation = _evaluations_for(auth).filter(pk=evaluation_id).first()
    if evaluation is None:
        return None, Status(404, {"detail": NO_EVALUATION})
    if evaluation.agent_id != auth.user_id:
        return None, Status(403, {"detail": ONLY_THE_AGENT})
    return evaluation, None


def _reread(request, evaluation: Evaluation) -> dict:
    organization = request.auth.organization
    fresh = _with_review(_evaluations(organization)).get(pk=evaluation.pk)
    return _detail(fresh, _verified(organization))


@evaluations_router.post("/{evaluation_id}/acknowledge",
                         response={200: EvaluationDetailOut, **errors(403, 404)},
                         summary="Accept an audit (the agent's personal token)")
@personal_tokens_allowed
def acknowledge_evaluation(request, evaluation_id: Id):
    """The agent accepts a released audit waiting for their review (or, after a dispute
    was decided, its outcome). Personal tokens allowed — the audited agent's only; an
    organization token gets 403. After the review window, or when the audit is not
    waiting for the agent, 422 naming ``evaluation``."""
    evaluation, refusal = _agents_evaluation(request, evaluation_id)
    if refusal is not None:
        return refusal
    acknowledge(evaluation=evaluation, agent=request.auth.user)
    return Status(200, _reread(request, evaluation))


@evaluations_router.post("/{evaluation_id}/disputes",
                         response={201: EvaluationDetailOut, **errors(403, 404)},
                         summary="Dispute attributes of an audit (the agent's personal token)")
@personal_tokens_allowed
def dispute_evaluation(request, evaluation_id: Id, payload: DisputeIn):
    """The agent disputes one or more disputable attributes, each with a reason and
    optionally the answer they propose; a new round goes to the reviewer.

    Personal tokens allowed — the audited agent's only; an organization token gets 403. A
    refusal (window closed, round limit reached, an attribute not disputable…) is 422
    naming the field; nothing is written then."""
    evaluation, refusal = _agents_evaluation(request, evaluation_id)
    if refusal is not None:
        return refusal
    raise_dispute(evaluation=evaluation, agent=request.auth.user, items=[
        DisputedAttribute(item.attribute_key, item.reason, item.proposed)
        for item in payload.items])
    return Status(201, _reread(request, evaluation))


class EvaluationIn(Body):
    """An evaluation from an outside QA system: a submitted audit of one interaction."""

    interaction: text(200, min_length=1) = Field(description="The interaction's external_id.")
    scorecard: text(200, min_length=1) | None = Field(
        None, description="A current scorecard's name (default: the interaction's queue's, "
                          "else the default scorecard).")
    evaluator: text(150, min_length=1) | None = Field(
        None, description="Username of the member who scored (optional).")
    answers: list[AnswerIn] = Field(max_length=MAX_ANSWERS,
                                    description="One answer per attribute of the scorecard.")
    comment: text(LONG_TEXT) = ""
    release: bool | None = Field(
        None, description="true: visible to the agent now; false: kept submitted; absent: "
                          "the organization's release setting.")


@evaluations_router.post("", response={201: EvaluationOut, **errors()},
                         summary="Post an evaluation (an outside audit)")
def create_evaluation(request, payload: EvaluationIn):
    """Validated against the scorecard version: every attribute answered, each answer of
    its type. A refusal is 422 naming each bad part (``answers[2].answer``); nothing is
    written then."""
    organization = request.auth.organization
    try:
        evaluation = post_evaluation(
            organization=organization, interaction=payload.interaction,
            scorecard=payload.scorecard, evaluator=payload.evaluator, comment=payload.comment,
            release=payload.release,
            answers=[PostedAnswer(a.attribute, a.answer, a.comment, list(a.evidence))
                     for a in payload.answers],
        )
    except EvaluationInvalid as invalid:
        return Status(422, {"detail": invalid.message, "errors": [
            {"index": None, "field": name, "message": message}
            for name, message in invalid.errors]})
    evaluation = _evaluations(organization).get(pk=evaluation.pk)
    return Status(201, _out(evaluation, _verified(organization)))

