"""HTTP API for skills: the catalogue and who holds what.

Mounted at ``/api/v1/`` by :mod:`config.api`, which authenticates the token and runs every
operation inside the token's organization scope.
"""

from datetime import datetime

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django_scopes import scopes_disabled
from ninja import Field, Query, Router, Schema

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.api_types import Offset, errors, text
from tenancy.models import Membership, User

from . import selectors
from .enums import RecommendationState, SkillType
from .models import Skill, UserSkill

router = Router(tags=["Skills"])

MAX_LIMIT = 1000


class SkillOut(Schema):
    id: int
    name: str
    description: str
    category: str
    type: str = Field(..., alias="skill_type")
    parent_id: int | None
    parent: str | None = Field(None, description="The parent skill's name.")
    active: bool

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.name if obj.parent_id else None


class SkillFilters(Schema):
    active: bool | None = None
    category: text(80) | None = None
    type: SkillType | None = None
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
    offset: Offset = 0


class UserSkillOut(Schema):
    id: int
    user: str = Field(..., description="Username.")
    user_id: int
    skill: str
    skill_id: int
    level: str
    level_rank: int
    source: str
    acquired_at: datetime
    changed_at: datetime

    @staticmethod
    def resolve_user(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_skill(obj) -> str:
        return obj.skill.name

    @staticmethod
    def resolve_level(obj) -> str:
        return obj.level.name

    @staticmethod
    def resolve_level_rank(obj) -> int:
        return obj.level.rank


class UserSkillFilters(Schema):
    user: text(254) | None = Field(None, description="Username, e-mail or id of a member.")
    skill: text(120) | None = Field(None, description="Skill name or id.")
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
    offset: Offset = 0


@router.get("/skills", response={200: list[SkillOut], **errors()},
            summary="List the skill catalogue")
def list_skills(request, filters: Query[SkillFilters]):
    qs = Skill.objects.filter(organization=request.auth.organization).select_related("parent")
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.category:
        qs = qs.filter(category__iexact=filters.category)
    if filters.type:
        qs = qs.filter(skill_type=filters.type)
    return list(qs.order_by("name", "id")[filters.offset:filters.offset + filters.limit])


def _member(organization, key: str) -> User:
    with scopes_disabled():
        members = User.objects.filter(
            pk__in=Membership.objects.filter(organization=organization).values("user_id")
        )
        condition = Q(username=key) | Q(email__iexact=key)
        if key.isdigit():
            condition |= Q(pk=int(key))
        return get_object_or_404(members, condition)


@router.get("/user-skills", response={200: list[UserSkillOut], **errors(404)},
            summary="List who holds which skill at which level")
def list_user_skills(request, filters: Query[UserSkillFilters]):
    organization = request.auth.organization
    qs = UserSkill.objects.filter(organization=organization).select_related(
        "user", "skill", "level")
    if filters.user:
        person = _member(organization, filters.user)
        qs = qs.filter(user=person)
        record_access(request, subject=person, kind=AccessKind.SKILLS, obj=person,
                      label="Skills (API)")
    if filters.skill:
        condition = Q(name__iexact=filters.skill)
        if filters.skill.isdigit():
            condition |= Q(pk=int(filters.skill))
        skill = get_object_or_404(Skill.objects.filter(organization=organization), condition)
        qs = qs.filter(skill=skill)
    return list(qs.order_by("user__username", "skill__name")
                [filters.offset:filters.offset + filters.limit])


class RecommendationOut(Schema):
    id: int
    agent: str = Field(..., description="Username of the agent.")
    skill: str
    count: int = Field(..., description="Resolved items that needed the skill.")
    threshold: int
    evidence: list[str] = Field(..., description="External IDs of the evidence items, "
                                                 "most convincing first.")
    score: float = Field(..., description="Mean confidence of the evidence (tagged items 1).")
    state: RecommendationState
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_agent(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_skill(obj) -> str:
        return obj.skill.name

    @staticmethod
    def resolve_evidence(obj) -> list[str]:
        return obj.evidence_ids


class RecommendationFilters(Schema):
    state: RecommendationState | None = None
    agent: text(150) | None = Field(None, description="Username of the agent.")
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
    offset: Offset = 0


@router.get("/skill-recommendations", response={200: list[RecommendationOut], **errors()},
            summary="List skill recommendations", tags=["Skills"])
def list_skill_recommendations(request, filters: Query[RecommendationFilters]):
    qs = selectors.recommendations(organization=request.auth.organization,
                                   state=filters.state or "", agent=filters.agent or "")
    return list(qs[filters.offset:filters.offset + filters.limit])
