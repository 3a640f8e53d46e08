"""HTTP API for learning tasks: ``GET /api/v1/learning-tasks?assigned_to=…&state=…``.

Mounted by :mod:`config.api`, which authenticates the token and runs every operation inside
the token's organization scope.
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import Q
from django_scopes import scopes_disabled
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from tenancy.api_types import LimitOffsetPagination, errors, text
from tenancy.models import Membership, User

from . import selectors
from .enums import TaskState

router = Router()

State = Literal[tuple(TaskState.values)]


class LearningTaskFilters(Schema):
    assigned_to: text(254) | None = Field(
        None, description="The assignee's username, e-mail or user id."
    )
    state: State | None = Field(None, description="Only tasks in this state.")


class SkillGrantOut(Schema):
    skill: str
    level: str


class LearningTaskOut(Schema):
    id: int
    assigned_to: str = Field(description="Username of the assignee.")
    course_item_id: int
    course_item: str = Field(description="Title of the course item.")
    catalog: str | None
    state: str
    due_date: date = Field(description="Last day to complete it, in the tenant's timezone.")
    assigned_by: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None

    @staticmethod
    def resolve_assigned_to(task) -> str:
        return task.assigned_to.username

    @staticmethod
    def resolve_course_item(task) -> str:
        return task.course_item.title

    @staticmethod
    def resolve_catalog(task) -> str | None:
        return task.catalog.title if task.catalog else None

    @staticmethod
    def resolve_assigned_by(task) -> str | None:
        return task.assigned_by.username if task.assigned_by else None


def _member(organization, identifier: str) -> User:
    lookup = Q(username=identifier) | Q(email__iexact=identifier)
    if identifier.isdigit():
        lookup |= Q(pk=int(identifier))
    with scopes_disabled():
        member_ids = Membership.objects.filter(organization=organization).values("user_id")
        matches = list(User.objects.filter(lookup, pk__in=member_ids)[:2])
    if len(matches) != 1:
        raise HttpError(404, f"No member of this organization is “{identifier}”.")
    return matches[0]


@router.get("", response={200: list[LearningTaskOut], **errors(404)},
            summary="List learning tasks")
@paginate(LimitOffsetPagination)
def list_learning_tasks(request, filters: Query[LearningTaskFilters]):
    """Learning tasks of the organization, oldest first; filter by assignee and state."""
    organization = request.auth.organization
    assignee = _member(organization, filters.assigned_to) if filters.assigned_to else None
    return selectors.api_tasks(organization, assigned_to=assignee, state=filters.state)
