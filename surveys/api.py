"""HTTP API for survey responses and their scores.

Mounted at ``/api/v1/survey-responses`` by :mod:`config.api`, which authenticates the
token and runs every operation inside the token's organization scope.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tenancy.api_types import Cursor, Id, errors

from . import selectors
from .enums import ResponseState
from .models import SurveyResponse, SurveyTemplate

router = Router()

State = Literal[tuple(ResponseState.values)]


class AnswerOut(Schema):
    question_id: int
    question: str
    kind: str
    value: str | int | bool | None = Field(
        description="The scale value, true/false, the chosen option's label or the text; "
                    "null when not applicable."
    )
    not_applicable: bool
    score: Decimal | None = Field(description="The answer normalised to 0–100; null if unscored.")


class SurveyResponseOut(Schema):
    id: int
    template_id: int
    template: str
    audience: str
    state: str
    respondent: str
    subject: str | None
    opportunity_label: str = Field(description="What triggered it (a coaching opportunity).")
    context_label: str
    dispatched_at: datetime
    due_at: datetime
    completed_at: datetime | None
    expired_at: datetime | None
    score: Decimal | None = Field(
        description="Weighted mean of the scored answers, 0–100; null when none was scored."
    )
    answers: list[AnswerOut]


class SurveyResponsePage(Schema):
    items: list[SurveyResponseOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


def _answer_value(answer):
    if answer.not_applicable:
        return None
    if answer.rating is not None:
        return answer.rating
    if answer.yes is not None:
        return answer.yes
    if answer.choice_id:
        return answer.choice.label
    return answer.text


def _response_out(response: SurveyResponse) -> dict:
    return {
        "id": response.pk, "template_id": response.template_id,
        "template": response.template.name, "audience": response.template.audience,
        "state": response.state, "respondent": response.respondent.username,
        "subject": response.subject.username if response.subject else None,
        **{name: getattr(response, name) for name in (
            "opportunity_label", "context_label",
            "dispatched_at", "due_at", "completed_at", "expired_at", "score",
        )},
        "answers": [
            {"question_id": a.question_id, "question": a.question.text, "kind": a.question.kind,
             "value": _answer_value(a), "not_applicable": a.not_applicable, "score": a.score}
            for a in response.answers.all()
        ],
    }


@router.get("", response={200: SurveyResponsePage, **errors(400, 404)},
            summary="List survey responses with their scores")
def list_survey_responses(
    request,
    template: Id | None = None,
    state: State | None = None,
    cursor: Cursor | None = None,
    limit: int = Query(100, ge=1, le=500),
):
    """Survey responses in the order they were sent, ``limit`` per page, with answers.

    ``template`` keeps the responses to one survey template (its id), ``state`` those
    pending, completed or expired. ``score`` is the survey's 0–100 score (null when no
    scored question was answered); each answer carries its own normalised score.

    Trainee-about-coach surveys sent while the organization's surveys were anonymous (the
    default) are never listed: trainees were promised nobody sees their answers with their
    name. Their averages are on the coach effectiveness page.

    Follow ``next_cursor`` until it is null.
    """
    organization = request.auth.organization
    if template is not None and not SurveyTemplate.objects.filter(
        organization=organization, pk=template
    ).exists():
        return Status(404, {"detail": f"No survey template with id {template}."})
    after = None
    if cursor:
        try:
            after = int(cursor)
        except ValueError:
            return Status(400, {"detail": "The cursor is not one this API returned."})
    responses = list(selectors.responses_for_api(
        organization, template_id=template, state=state, after=after, limit=limit + 1
    ))
    next_cursor = str(responses[limit - 1].pk) if len(responses) > limit else None
    return Status(200, {"items": [_response_out(r) for r in responses[:limit]],
                        "next_cursor": next_cursor})
