"""HTTP API of calibration sessions: ``GET /api/v1/calibration-sessions`` (a page of
sessions) and ``GET /api/v1/calibration-sessions/{id}`` (one session).

Blind: while a session is scoring, only its progress is shown (who has submitted, how
many interactions each scored) — nobody's answers, totals or agreement, whatever the
token. After the reveal: every evaluator's and the automatic scorer's answers per
interaction and attribute, the lead's final answers, the agreement (Krippendorff's α per
attribute and on the total with its bootstrap 95 % interval) and each rater's deviations.

An organization's token sees every session of its organization; a member's personal token
only the sessions its person takes part in (as an evaluator) or leads.
"""

from datetime import datetime
from typing import Literal

from django.db.models import Count, Prefetch, Q, QuerySet
from ninja import Field, Query, Router, Schema, Status

from tenancy.api_paging import BadCursor, newest_first_page
from tenancy.api_types import Cursor, Id, errors, personal_tokens_allowed

from . import calibration_stats as stats
from .enums import ALPHA_TENTATIVE, CalibrationSource, CalibrationState, EvaluationKind
from .enums import EvaluationState as EState
from .models import (
    Answer,
    CalibrationAgreement,
    CalibrationDeviation,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationReference,
    CalibrationSession,
    Evaluation,
)

calibration_router = Router()

PAGE_SIZE = 50
NO_SESSION = "No calibration session with this id that this token may read."
State = Literal[tuple(CalibrationState.values)]
AnswerValue = Literal["yes", "no", "na"] | int | None


# --- schemas -----------------------------------------------------------------------------


class SessionOut(Schema):
    id: int
    name: str
    state: State = Field(description="scoring (blind), revealed, finished.")
    scorecard: str
    version: int
    lead: str | None = Field(description="Username of the lead.")
    deadline: datetime
    created_at: datetime
    revealed_at: datetime | None
    finished_at: datetime | None
    interactions: int
    evaluators: int
    submitted: int = Field(description="Evaluators who scored every interaction.")


class SessionPage(Schema):
    items: list[SessionOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at end.")


class SessionFilters(Schema):
    state: State | None = None
    cursor: Cursor | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=200)


class ProgressOut(Schema):
    evaluator: str = Field(description="Username.")
    scored: int = Field(description="Interactions this evaluator submitted.")
    submitted_at: datetime | None = Field(description="When they had scored every one.")


class ScoreOut(Schema):
    rater: str | None = Field(description="The evaluator's username; null: the automatic "
                                          "scorer.")
    automatic: bool
    total: float | None = Field(description="0–100.")
    answers: dict[str, AnswerValue] = Field(
        description="Per attribute key: yes / no / na or a whole number on a scale.")


class FinalOut(Schema):
    answer: AnswerValue
    note: str


class ItemOut(Schema):
    position: int
    interaction: str = Field(description="The interaction's external_id.")
    source: Literal[tuple(CalibrationSource.values)]
    scores: list[ScoreOut] | None = Field(
        description="Every rater's answers; null while the session is scoring (blind).")
    final: dict[str, FinalOut] | None = Field(
        description="The lead's final answer per attribute key; null while scoring.")


class AlphaOut(Schema):
    attribute_key: str = Field(description="Empty: the total score.")
    attribute_name: str
    level: Literal["nominal", "ordinal", "interval", "ratio"]
    alpha: float | None = Field(description="Krippendorff's α between the evaluators; null "
                                            "when undefined.")
    alpha_low: float | None = Field(description="Bootstrap 95 % interval, low end.")
    alpha_high: float | None
    reading: Literal["reliable", "tentative", "unreliable", "undefined"] = Field(
        description="α ≥ 0.8 reliable, ≥ 0.667 tentative, below unreliable.")
    flagged: bool = Field(description="α below 0.667.")
    alpha_with_auto: float | None = Field(description="α with the automatic scorer as one "
                                                      "more rater.")
    percent_agreement: float | None = Field(description="Share of agreeing pairs, 0–1.")
    units: int = Field(description="Interactions with two or more answers.")
    ratings: int
    raters: int


class DeviationOut(Schema):
    rater: str | None = Field(description="Username; null: the automatic scorer.")
    automatic: bool
    attribute_key: str = Field(description="Empty: the total score.")
    n: int
    from_final: float | None = Field(description="Mean points of 100 from the final answers.")
    disagree_final: float | None = Field(description="Share of answers unlike the final, 0–1.")
    from_group: float | None = Field(description="Mean points of 100 from the other raters.")


class SessionDetailOut(SessionOut):
    blind: bool = Field(description="True while scoring: answers and agreement are hidden.")
    attributes: list[str] = Field(description="The scorecard's attribute keys, in order.")
    progress: list[ProgressOut]
    items: list[ItemOut]
    agreement: list[AlphaOut] | None = Field(description="Null while scoring.")
    deviations: list[DeviationOut] | None = Field(description="Null while scoring.")


# --- reads ---------------------------------------------------------------------------------


def _sessions(auth) -> QuerySet[CalibrationSession]:
    """The sessions the token may read: all of its organization's for an organization
    token; those its person takes part in or leads for a personal one."""
    qs = (CalibrationSession.objects.filter(organization=auth.organization)
          .select_related("scorecard", "lead")
          .annotate(n_items=Count("items", distinct=True),
                    n_evaluators=Count("participants", distinct=True),
                    n_submitted=Count("participants", distinct=True,
                                      filter=Q(participants__submitted_at__isnull=False))))
    if auth.is_personal:
        taking_part = CalibrationParticipant.objects.filter(
            organization=auth.organization, evaluator=auth.user).values("session_id")
        qs = qs.filter(Q(lead=auth.user) | Q(pk__in=taking_part))
    return qs


def _username(user) -> str | None:
    return user.username if user is not None else None


def _out(session: CalibrationSession) -> dict:
    return {
        "id": session.pk, "name": session.name, "state": session.state,
        "scorecard": session.scorecard.name, "version": session.scorecard.version,
        "lead": _username(session.lead), "deadline": session.deadline,
        "created_at": session.created_at, "revealed_at": session.revealed_at,
        "finished_at": session.finished_at, "interactions": session.n_items,
        "evaluators": session.n_evaluators, "submitted": session.n_submitted,
    }


def _reference_value(reference: CalibrationReference) -> AnswerValue:
    if reference.na:
        return "na"
    if reference.attribute.answer_type == "yes_no":
        return "yes" if reference.value else "no"
    return reference.value


def _scores(session: CalibrationSession, items: list[CalibrationItem],
            participants: list[CalibrationParticipant]) -> dict[int, list[dict]]:
    """Per item id: each evaluator's submitted answers (in invitation order), then the
    automatic scorer's (its latest evaluation of the interaction with this scorecard)."""
    answers = Prefetch("answers", queryset=Answer.objects.select_related("attribute"))
    human = {(e.calibration_item_id, e.evaluator_id): e for e in Evaluation.objects.filter(
        calibration_item__session=session, kind=EvaluationKind.CALIBRATION,
        state__in=[EState.SUBMITTED, EState.RELEASED]).prefetch_related(answers)}
    auto: dict[int, Evaluation] = {}
    for evaluation in (Evaluation.objects.filter(
            organization=session.organization, kind=EvaluationKind.AUTO,
            interaction_id__in=[i.interaction_id for i in items],
            scorecard__key=session.scorecard.key)
            .exclude(state=EState.DRAFT).order_by("interaction_id", "-scorecard__version", "-id")
            .prefetch_related(answers)):
        auto.setdefault(evaluation.interaction_id, evaluation)

    def score(evaluation, rater):
        return {"rater": rater, "automatic": rater is None, "total": evaluation.total,
                "answers": {a.attribute.key: a.api_value for a in evaluation.answers.all()}}

    result = {}
    for item in items:
        rows = [score(human[(item.pk, p.evaluator_id)], p.evaluator.username)
                for p in participants if (item.pk, p.evaluator_id) in human]
        if item.interaction_id in auto:
            rows.append(score(auto[item.interaction_id], None))
        result[item.pk] = rows
    return result


def _detail(session: CalibrationSession) -> dict:
    blind = session.is_blind
    items = list(session.items.select_related("interaction").order_by("position", "id"))
    participants = list(session.participants.select_related("evaluator").order_by("id"))
    scored = dict(Evaluation.objects.filter(
        calibration_item__session=session, kind=EvaluationKind.CALIBRATION,
        state__in=[EState.SUBMITTED, EState.RELEASED]).values("evaluator_id")
        .annotate(n=Count("id")).values_list("evaluator_id", "n"))
    detail = {
        **_out(session), "blind": blind,
        "attributes": list(session.scorecard.attributes.order_by("position", "id")
                           .values_list("key", flat=True)),
        "progress": [{"evaluator": p.evaluator.username, "scored": scored.get(p.evaluator_id, 0),
                      "submitted_at": p.submitted_at} for p in participants],
        "agreement": None, "deviations": None,
    }
    if blind:
        detail["items"] = [{"position": i.position, "interaction": i.interaction.external_id,
                            "source": i.source, "scores": None, "final": None} for i in items]
        return detail
    scores = _scores(session, items, participants)
    finals: dict[int, dict] = {}
    for reference in CalibrationReference.objects.filter(item__session=session) \
            .select_related("attribute"):
        finals.setdefault(reference.item_id, {})[reference.attribute.key] = {
            "answer": _reference_value(reference), "note": reference.note}
    detail["items"] = [{"position": i.position, "interaction": i.interaction.external_id,
                        "source": i.source, "scores": scores[i.pk],
                        "final": finals.get(i.pk, {})} for i in items]
    detail["agreement"] = [
        {"attribute_key": a.attribute_key, "attribute_name": a.attribute_name,
         "level": a.level, "alpha": a.alpha, "alpha_low": a.alpha_low,
         "alpha_high": a.alpha_high, "reading": stats.reading(a.alpha),
         "flagged": a.alpha is not None and a.alpha < ALPHA_TENTATIVE,
         "alpha_with_auto": a.alpha_with_auto, "percent_agreement": a.percent_agreement,
         "units": a.units, "ratings": a.ratings, "raters": a.raters}
        for a in CalibrationAgreement.objects.filter(session=session).order_by("id")]
    detail["deviations"] = [
        {"rater": _username(d.evaluator), "automatic": d.is_auto,
         "attribute_key": d.attribute_key, "n": d.n, "from_final": d.from_final,
         "disagree_final": d.disagree_final, "from_group": d.from_group}
        for d in CalibrationDeviation.objects.filter(session=session)
        .select_related("evaluator").order_by("is_auto", "id")]
    return detail


# --- operations ---------------------------------------------------------------------------


@calibration_router.get("", response={200: SessionPage, **errors(400)},
                        summary="List calibration sessions (newest first)")
@personal_tokens_allowed
def list_sessions(request, filters: Query[SessionFilters]):
    """Sessions with their progress; filter by ``state``, page with ``next_cursor``.

    Personal tokens allowed: only the sessions their person takes part in or leads."""
    qs = _sessions(request.auth)
    if filters.state:
        qs = qs.filter(state=filters.state)
    try:
        rows, next_cursor = newest_first_page(qs, filters.cursor, filters.limit)
    except BadCursor as refused:
        return Status(400, {"detail": str(refused)})
    return Status(200, {"items": [_out(s) for s in rows], "next_cursor": next_cursor})


@calibration_router.get("/{session_id}", response={200: SessionDetailOut, **errors(404)},
                        summary="Read one calibration session: scores after the reveal, "
                                "final answers, agreement")
@personal_tokens_allowed
def get_session(request, session_id: Id):
    """While the session scores (``blind``): its progress only. After the reveal: every
    rater's answers per interaction (the automatic scorer's with ``automatic``), the final
    answers, Krippendorff's α per attribute and on the total (``attribute_key`` empty) with
    its interval, and each rater's deviations.

    Personal tokens allowed: only sessions their person takes part in or leads."""
    session = _sessions(request.auth).filter(pk=session_id).first()
    if session is None:
        return Status(404, {"detail": NO_SESSION})
    return Status(200, _detail(session))
