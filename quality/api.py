"""HTTP API of the quality app: the tenant's scorecards, evaluations (list with a cursor,
read one) and evaluations posted by an outside QA system.

Mounted at ``/api/v1/scorecards`` and ``/api/v1/evaluations`` by :mod:`config.api` (token
auth, tenant scope). A token is tenant-wide: it sees every evaluation of its organization
except calibration ones, which are listed only with ``?kind=calibration``.
"""

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from django.db.models import Prefetch
from ninja import Field, Query, Router, Schema, Status

from tenancy.api_types import Body, Cursor, Id, errors, text
from tenancy.validation import BIGINT_MAX, LONG_TEXT

from .enums import EvaluationKind
from .models import Answer, AttributeAgreement, Evaluation
from .selectors import current_scorecards
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
    kind: Kind | None = Field(None, description="calibration lists calibration evaluations, "
                                                "which are otherwise left out.")
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
    return (Evaluation.objects.filter(organization=organization)
            .select_related("interaction", "agent", "scorecard", "evaluator")
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


def _decode_cursor(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError from None
    if not 1 <= value <= BIGINT_MAX:
        raise ValueError
    return value


@evaluations_router.get("", response={200: EvaluationPage, **errors(400)},
                        summary="List evaluations (newest first)")
def list_evaluations(request, filters: Query[EvaluationFilters]):
    """Filter by interaction (external_id), kind and agent; page with ``next_cursor``."""
    organization = request.auth.organization
    qs = _evaluations(organization)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    else:
        qs = qs.exclude(kind=EvaluationKind.CALIBRATION)
    if filters.interaction:
        qs = qs.filter(interaction__external_id=filters.interaction)
    if filters.agent:
        qs = qs.filter(agent__username=filters.agent)
    if filters.cursor:
        try:
            qs = qs.filter(pk__lt=_decode_cursor(filters.cursor))
        except ValueError:
            return Status(400, {"detail": "The cursor is not one this API returned."})
    rows = list(qs.order_by("-id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = (base64.urlsafe_b64encode(str(rows[-1].pk).encode()).decode().rstrip("=")
                   if more else None)
    verified = _verified(organization)
    return Status(200, {"items": [_out(e, verified) for e in rows], "next_cursor": next_cursor})


@evaluations_router.get("/{evaluation_id}", response={200: EvaluationOut, **errors(404)},
                        summary="Read one evaluation")
def get_evaluation(request, evaluation_id: Id):
    organization = request.auth.organization
    evaluation = _evaluations(organization).filter(pk=evaluation_id).first()
    if evaluation is None:
        return Status(404, {"detail": "No evaluation with this id in your organization."})
    return Status(200, _out(evaluation, _verified(organization)))


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

