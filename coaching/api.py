"""HTTP API for coaching assessments: list with filters and a cursor, read one.

Mounted at ``/api/v1/assessments`` by :mod:`config.api` (token auth, tenant scope).
"""

import base64
import binascii
from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tenancy.api_types import Cursor, Id, errors, text
from tenancy.validation import BIGINT_MAX

from . import selectors
from .enums import AssessmentState

router = Router()

State = Literal[tuple(AssessmentState.values)]
PAGE_SIZE = 100


class AssessmentOut(Schema):
    id: int
    state: str
    trainee: str
    coach: str | None
    opportunity: str | None
    work_item: str | None = Field(description="The work item's external_id.")
    origin: str
    rating: int | None
    follow_up: bool
    due_date: date
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    learning_task_ids: list[int] = Field(
        description="The learning tasks its completion assigned (GET /api/v1/learning-tasks)."
    )
    survey_response_ids: list[int] = Field(
        description="The surveys sent for it (GET /api/v1/survey-responses)."
    )


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at end.")


class AssessmentFilters(Schema):
    state: State | None = None
    trainee: text(150) | None = Field(None, description="Username of the trainee.")
    opportunity: text(150) | None = Field(None, description="Name of the opportunity.")
    cursor: Cursor | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


def _out(a) -> dict:
    return {
        "id": a.pk, "state": a.state, "trainee": a.trainee.username,
        "coach": a.coach.username if a.coach else None,
        "opportunity": a.opportunity.name if a.opportunity else None,
        "work_item": a.work_item.external_id if a.work_item else None,
        "origin": a.origin, "rating": a.rating, "follow_up": a.follow_up,
        "due_date": a.due_date, "created_at": a.created_at, "updated_at": a.updated_at,
        "closed_at": a.closed_at,
        "learning_task_ids": [link.task_id for link in a.learning_task_links.all()],
        "survey_response_ids": [link.response_id for link in a.survey_links.all()],
    }


def _decode_cursor(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError from None
    if not 0 <= value <= BIGINT_MAX:
        raise ValueError
    return value


@router.get("", response={200: AssessmentPage, **errors(400)},
            summary="List assessments (newest first)")
def list_assessments(request, filters: Query[AssessmentFilters]):
    """Filter by state, trainee username and opportunity name; page with ``next_cursor``."""
    qs = selectors.assessment_api_list(organization=request.auth.organization)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.trainee:
        qs = qs.filter(trainee__username=filters.trainee)
    if filters.opportunity:
        qs = qs.filter(opportunity__name__iexact=filters.opportunity)
    if filters.cursor:
        try:
            qs = qs.filter(pk__lt=_decode_cursor(filters.cursor))
        except ValueError:
            return Status(400, {"detail": "The cursor is not one this API returned."})
    rows = list(qs.order_by("-id")[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    next_cursor = (
        base64.urlsafe_b64encode(str(rows[-1].pk).encode()).decode().rstrip("=")
        if more else None
    )
    return Status(200, {"items": [_out(a) for a in rows], "next_cursor": next_cursor})


@router.get("/{assessment_id}", response={200: AssessmentOut, **errors(404)},
            summary="Read one assessment")
def get_assessment(request, assessment_id: Id):
    row = selectors.assessment_api_list(organization=request.auth.organization).filter(
        pk=assessment_id
    ).first()
    if row is None:
        return Status(404, {"detail": "No assessment with this id in your organization."})
    return Status(200, _out(row))
