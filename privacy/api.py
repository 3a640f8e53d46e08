"""``GET /api/v1/access-records``: the tenant's access log for an integration (organization
tokens) or an org admin's personal token; newest first, cursor-paged. Reading the log is
not itself recorded (it shows who looked, not one agent's data)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from tenancy.api_paging import BadCursor, newest_first_page
from tenancy.api_types import Cursor, SaneDatetime, errors, personal_tokens_allowed, text
from tenancy.enums import Role
from tenancy.selectors import membership_for

from .models import AccessChannel, AccessKind, AccessRecord

router = Router()
PAGE_SIZE = 100
ONLY_ADMINS = "Only an org admin's personal token reads the access log."


class AccessRecordOut(Schema):
    id: int
    viewed_at: datetime
    viewer: str | None = Field(description="Username of the viewer; null for an "
                                           "organization token (its name is viewer_label).")
    viewer_label: str = Field(description="The viewer's name (or the token's) at the time.")
    subject: str | None = Field(description="Username of the person whose data was viewed; "
                                            "null once erased.")
    kind: Literal[tuple(AccessKind.values)]
    channel: Literal[tuple(AccessChannel.values)]
    object_id: str = Field(description="The viewed object's id; empty for a list.")
    object_label: str
    path: str = Field(description="The page or API path that was read.")


class AccessRecordPage(Schema):
    items: list[AccessRecordOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at end.")


class AccessRecordFilters(Schema):
    subject: text(150, min_length=1) | None = Field(
        None, description="Username of the person whose data was viewed.")
    viewer: text(150, min_length=1) | None = Field(None, description="Username of the viewer.")
    kind: Literal[tuple(AccessKind.values)] | None = None
    since: SaneDatetime | None = Field(None, description="Viewed at or after.")
    until: SaneDatetime | None = Field(None, description="Viewed before.")
    cursor: Cursor | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


def _out(record: AccessRecord) -> dict:
    return {
        "id": record.pk, "viewed_at": record.viewed_at,
        "viewer": record.viewer.username if record.viewer else None,
        "viewer_label": record.viewer_label,
        "subject": record.subject.username if record.subject else None,
        "kind": record.kind, "channel": record.channel, "object_id": record.object_id,
        "object_label": record.object_label, "path": record.path,
    }


@router.get("", response={200: AccessRecordPage, **errors(400, 403)},
            summary="List access records (who viewed whose data), newest first")
@personal_tokens_allowed
def list_access_records(request, filters: Query[AccessRecordFilters]):
    """Every recorded view of one person's evaluations, transcripts, assessments, plans,
    assignments, disputes, overview or skills by someone else. Filter by subject, viewer,
    kind and time; page with ``next_cursor``.

    Personal tokens allowed: only an org admin's (403 for anyone else's)."""
    auth = request.auth
    organization = auth.organization
    if auth.is_personal:
        membership = membership_for(auth.user, organization)
        if membership is None or not membership.has_role(Role.ORG_ADMIN):
            return Status(403, {"detail": ONLY_ADMINS})
    qs = AccessRecord.objects.filter(organization=organization).select_related(
        "viewer", "subject")
    if filters.subject:
        qs = qs.filter(subject__username=filters.subject)
    if filters.viewer:
        qs = qs.filter(viewer__username=filters.viewer)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.since:
        qs = qs.filter(viewed_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(viewed_at__lt=filters.until)
    try:
        rows, next_cursor = newest_first_page(qs, filters.cursor, filters.limit)
    except BadCursor as refused:
        return Status(400, {"detail": str(refused)})
    return Status(200, {"items": [_out(r) for r in rows], "next_cursor": next_cursor})
