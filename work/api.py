"""HTTP API for work items: batch upsert, read one, list changes with a cursor; and an
interaction's transcript.

``router`` is mounted at ``/api/v1/work-items`` and ``interactions_router`` at
``/api/v1/interactions`` by :mod:`config.api`, which authenticates the token and runs
every operation inside the token's organization scope.
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Literal

import pydantic
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import Discriminator, Tag

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.api_types import (
    Body,
    Count,
    Cursor,
    JsonObject,
    SaneDatetime,
    errors,
    field_errors,
    text,
)
from tenancy.validation import (
    BIGINT_MAX,
    DOCUMENT_TEXT,
    INT_MAX,
    SMALLINT_MAX,
    check_datetime,
    check_int,
)

from . import extensions, selectors, services
from .enums import INTERACTION_KINDS, Speaker, WorkKind, WorkState
from .models import Transcript, WorkItem
from .services.transcripts import MAX_TURN_TEXT, MAX_TURNS

router = Router()
interactions_router = Router()

Kind = Literal[tuple(WorkKind.values)]
State = Literal[tuple(WorkState.values)]


class SkillRequirement(Schema):
    name: str
    minimum_level: int | None = Field(None, description="Rank on the tenant's level scale.")


class SkillRequirementIn(Body):
    name: text(150, min_length=1)
    minimum_level: int | None = Field(None, ge=1, le=SMALLINT_MAX,
                                      description="Rank on the tenant's level scale.")


# A skill is named, or an object; the tag says which one an error is about.
SkillIn = Annotated[
    Annotated[SkillRequirementIn, Tag("object")] | Annotated[text(150, min_length=1), Tag("name")],
    Discriminator(lambda value: "name" if isinstance(value, str) else "object"),
]


TurnText = text(MAX_TURN_TEXT, min_length=1)


class Turn(Body):
    """One turn of a transcript, in the order it was said."""

    speaker: Literal[tuple(Speaker.values)]
    text: TurnText = Field(description="What was said or written; not blank.")
    at: float | None = Field(
        None, ge=0, allow_inf_nan=False,
        description="Seconds from the start of the interaction; need not grow from turn "
                    "to turn. Left out when unknown.",
    )


class WorkItemIn(Schema):
    """One work item. Absent fields keep their stored value; ``null`` clears a field."""

    model_config = pydantic.ConfigDict(extra="forbid")

    external_id: text(200, min_length=1) = Field(
        description="The item's ID in the source system (upsert key).")
    kind: Kind | None = Field(None, description="Required when the item is new.")
    number: text(64) | None = None
    short_description: text(500) | None = None
    description: text(DOCUMENT_TEXT) | None = None
    state: State | None = None
    priority: int | None = Field(None, ge=1, le=5)
    category: text(100) | None = None
    subcategory: text(100) | None = None
    team: text(150) | None = Field(None, description="The team (assignment group), by name.")
    assignment_group: text(150) | None = Field(
        None, description="Another name for team (as in ServiceNow exports); send one.")
    assigned_to: text(254) | None = Field(None, description="Username or e-mail.")
    resolved_by: text(254) | None = Field(None, description="Username or e-mail.")
    opened_at: SaneDatetime | None = None
    resolved_at: SaneDatetime | None = None
    closed_at: SaneDatetime | None = None
    reassignment_count: Count | None = Field(
        None, description="Omit to let Coachdesk count changes of team or assignee."
    )
    reopen_count: Count | None = Field(
        None, description="Omit to let Coachdesk count moves back out of resolved/closed."
    )
    escalated: bool | None = None
    sla_breached: bool | None = None
    handle_time_seconds: int | None = Field(None, ge=0, le=INT_MAX)
    channel: text(50) | None = None
    queue: text(100) | None = Field(None, description="Contact-center queue.")
    topic: text(200) | None = Field(None, description="Topic or intent of the contact.")
    sentiment: float | None = Field(None, ge=-1, le=1, allow_inf_nan=False)
    transcript: list[Turn] | None = Field(
        None, max_length=MAX_TURNS,
        description="Calls, chats and e-mails only: the conversation turn by turn; "
                    "replaces the stored transcript, [] or null removes it.",
    )
    attributes: JsonObject | None = Field(
        None, description="Other fields of the source; merged key by key, null drops a key."
    )
    skills: list[SkillIn] | None = Field(
        None, description="Skills the work required; replaces the stored list."
    )
    occurred_at: SaneDatetime | None = Field(
        None, description="When the source recorded this change (default: now)."
    )


class PredictedSkill(Schema):
    skill: str
    score: float = Field(description="Share of the similar tagged items' similarity, 0–1.")


class WorkItemOut(Schema):
    external_id: str
    kind: str
    number: str
    short_description: str
    description: str
    state: str
    priority: int | None
    category: str
    subcategory: str
    team: str | None
    assigned_to: str | None
    resolved_by: str | None
    opened_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reassignment_count: int
    reopen_count: int
    escalated: bool
    sla_breached: bool
    handle_time_seconds: int | None
    channel: str
    queue: str
    topic: str
    sentiment: float | None
    attributes: dict[str, object]
    skills: list[SkillRequirement]
    predicted_skills: list[PredictedSkill] = Field(
        default_factory=list,
        description="Skills the recommender predicts from similar tagged items, best first; "
                    "empty when the item is tagged or nothing is similar enough.",
    )
    created_at: datetime
    updated_at: datetime


class WorkItemPage(Schema):
    items: list[WorkItemOut]
    next_cursor: str | None = Field(
        description="Pass as cursor for the next page; null at the end."
    )


class UpsertOut(Schema):
    created: int
    updated: int
    unchanged: int


schemas_read_by_hand = [WorkItemIn]

UPSERT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/WorkItemIn"},
            {"type": "array", "maxItems": services.MAX_BATCH,
             "items": {"$ref": "#/components/schemas/WorkItemIn"}},
        ]}}},
    }
}


def _predicted_skills(items: list[WorkItem]) -> dict[int, list[dict]]:
    provider = extensions.predicted_skills.one()  # the recommender's, from skills
    if provider is None or not items:
        return {}
    return provider([i.pk for i in items])


def _item_out(item: WorkItem, predicted: dict[int, list[dict]] | None = None) -> dict:
    if predicted is None:
        predicted = _predicted_skills([item])
    return {
        "predicted_skills": predicted.get(item.pk, []),
        **{name: getattr(item, name) for name in (
            "external_id", "kind", "number", "short_description", "description", "state",
            "priority", "category", "subcategory", "opened_at", "resolved_at", "closed_at",
            "reassignment_count", "reopen_count", "escalated", "sla_breached",
            "handle_time_seconds", "channel", "queue", "topic", "sentiment", "attributes",
            "created_at",
            "updated_at",
        )},
        "team": item.team.name if item.team else None,
        "assigned_to": item.assigned_to.username if item.assigned_to else None,
        "resolved_by": item.resolved_by.username if item.resolved_by else None,
        "skills": [
            {"name": s.skill_name, "minimum_level": s.minimum_level}
            for s in item.requested_skills.all()
        ],
    }


def _invalid(errors: list[services.ItemError]) -> Status:
    items = {e.index for e in errors if e.index is not None}
    detail = (f"{len(items)} of the items are invalid; nothing was written." if items
              else "The batch is invalid; nothing was written.")
    return Status(422, {"detail": detail, "errors": [e.as_dict() for e in errors]})


def _pydantic_errors(index: int, error: pydantic.ValidationError) -> list[services.ItemError]:
    result = []
    for problem in field_errors(error.errors(), index=index):
        message = problem["message"]
        if message == "Unknown field.":
            message = "Unknown field; send source-specific fields inside attributes."
        result.append(services.ItemError(index, problem["field"], message))
    return result


@router.post(
    "",
    response={200: UpsertOut, **errors(400, 413)},
    summary="Create or update work items",
    openapi_extra=UPSERT_BODY,
)
def upsert_work_items(request):
    """Upsert one work item or a list of up to 1,000 by ``external_id``, all or nothing.

    Users are referenced by username or e-mail and must be members of the organization;
    teams by name. If any item is invalid the answer is 422 with the errors per item
    index and field, and nothing is written.
    """
    try:
        payload = json.loads(request.body)
    except ValueError as error:
        return Status(400, {"detail": f"The body is not valid JSON: {error}."})
    if isinstance(payload, dict):
        raw_items = [payload]
    elif isinstance(payload, list):
        raw_items = payload
    else:
        return Status(400, {"detail": "Send one work item (a JSON object) or a list of them."})
    if len(raw_items) > services.MAX_BATCH:
        return _invalid([services.ItemError(
            None, None,
            f"A batch holds at most {services.MAX_BATCH:,} items; this one has "
            f"{len(raw_items):,}.",
        )])
    errors, items = [], []
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            errors.append(services.ItemError(index, None, "Each work item is a JSON object."))
            continue
        # The service checks the turns, with the messages the CSV and JSON-lines imports
        # give too (e.g. "transcript[3].speaker"); the schema above documents them.
        fields = {name: value for name, value in raw.items() if name != "transcript"}
        try:
            item = WorkItemIn.model_validate(fields).model_dump(exclude_unset=True)
        except pydantic.ValidationError as error:
            errors.extend(_pydantic_errors(index, error))
            continue
        if "transcript" in raw:
            item["transcript"] = raw["transcript"]
        items.append(item)
    if errors:
        return _invalid(errors)
    try:
        summary = services.upsert_work_items(organization=request.auth.organization, items=items)
    except services.WorkItemsInvalid as invalid:
        return _invalid(invalid.errors)
    return Status(200, {"created": summary.created, "updated": summary.updated,
                        "unchanged": summary.unchanged})


def _encode_cursor(item: WorkItem) -> str:
    raw = f"{item.updated_at.isoformat()}|{item.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; ValueError for anything this API did not return."""
    padded = cursor + "=" * (-len(cursor) % 4)
    stamp, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    stamp = check_datetime(datetime.fromisoformat(stamp))
    if timezone.is_naive(stamp):
        raise ValueError("A cursor holds an aware time.")
    return stamp, check_int(int(pk), minimum=1, maximum=BIGINT_MAX)


@router.get("", response={200: WorkItemPage, **errors(400)}, summary="List work items")
def list_work_items(
    request,
    updated_since: SaneDatetime | None = None,
    kind: Kind | None = None,
    cursor: Cursor | None = None,
    limit: int = Query(100, ge=1, le=1000),
):
    """Work items in order of their last change (oldest first), ``limit`` per page.

    Follow ``next_cursor`` until it is null; a sync can store the last ``updated_at`` it
    saw and pass it as ``updated_since`` next time.
    """
    after = None
    if cursor:
        try:
            after = _decode_cursor(cursor)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return Status(400, {"detail": "The cursor is not one this API returned."})
    organization = request.auth.organization
    items = list(selectors.work_items_for_api(
        organization, updated_since=updated_since, kind=kind, after=after, limit=limit + 1
    ))
    next_cursor = _encode_cursor(items[limit - 1]) if len(items) > limit else None
    predicted = _predicted_skills(items[:limit])
    page = [_item_out(i, predicted) for i in items[:limit]]
    return Status(200, {"items": page, "next_cursor": next_cursor})


@router.get("/{path:external_id}", response={200: WorkItemOut, **errors(404)},
            summary="Read one work item")
def get_work_item(request, external_id: text(200, min_length=1)):
    item = selectors.work_items_for_api(request.auth.organization).filter(
        external_id=external_id
    ).first()
    if item is None:
        return Status(404, {"detail": f"No work item with external_id “{external_id}”."})
    return Status(200, _item_out(item))


# --- interactions ---------------------------------------------------------------------------


class TurnOut(Schema):
    speaker: str = Field(description="agent, customer or system.")
    text: str
    at: float | None = Field(
        None, description="Seconds from the start; left out when the source did not say.")


@interactions_router.get(
    "/{path:external_id}/transcript", response={200: list[TurnOut], **errors(404)},
    summary="Read an interaction's transcript", exclude_none=True,
)
def get_transcript(request, external_id: text(200, min_length=1)):
    """The turns of a call, chat or e-mail, as they were sent (a turn's position in the
    list is the turn number evaluations cite as evidence). 404 when there is no such
    work item, it is not an interaction, or it has no transcript; ``detail`` says which."""
    organization = request.auth.organization
    item = WorkItem.objects.filter(organization=organization, external_id=external_id).only(
        "pk", "kind", "external_id", "number", "resolved_by_id", "assigned_to_id").first()
    if item is None:
        return Status(404, {"detail": f"No work item with external_id “{external_id}”."})
    if item.kind not in INTERACTION_KINDS:
        return Status(404, {"detail": (
            f"“{external_id}” is {_article(item)} {item.get_kind_display().lower()}, not an "
            f"interaction; only calls, chats and e-mails have a transcript."
        )})
    turns = Transcript.objects.filter(organization=organization, work_item=item).values_list(
        "turns", flat=True).first()
    if turns is None:
        return Status(404, {"detail": f"The {item.get_kind_display().lower()} “{external_id}” "
                                      f"has no transcript."})
    record_access(request, subject=item.resolved_by_id or item.assigned_to_id,
                  kind=AccessKind.TRANSCRIPT, obj=item, label=f"Transcript of {item.label}")
    return Status(200, turns)


def _article(item: WorkItem) -> str:
    return "an" if item.get_kind_display()[0].lower() in "aeiou" else "a"
