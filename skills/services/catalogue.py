"""The skill catalogue (skills and their hierarchy) and the organization's level scale."""

from django.db import transaction
from django.db.models import Max

from tenancy.errors import same_tenant
from tenancy.models import Organization

from ..enums import DEFAULT_LEVELS, SkillType
from ..errors import SkillError
from ..models import Skill, SkillChange, SkillLevel, SkillReview, UserSkill, WorkItemSkill


@transaction.atomic
def ensure_level_scale(*, organization: Organization) -> list[SkillLevel]:
    """The organization's levels, creating the default scale the first time it is needed.

    Safe to call on every request: it writes only when the organization has no level yet.
    """
    levels = list(SkillLevel.objects.filter(organization=organization).order_by("rank"))
    if levels:
        return levels
    # Lock the organization row so two first requests do not both create the scale.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    levels = list(SkillLevel.objects.filter(organization=organization).order_by("rank"))
    if not levels:
        levels = [
            SkillLevel.objects.create(organization=organization, name=name, rank=rank)
            for rank, name in enumerate(DEFAULT_LEVELS, start=1)
        ]
    return levels


def _check_level_name(organization: Organization, name: str, *, exclude_pk=None) -> str:
    name = name.strip()
    if not name:
        raise SkillError("A level needs a name.")
    clash = SkillLevel.objects.filter(organization=organization, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise SkillError(f"The scale already has a level named “{name}”.")
    return name


@transaction.atomic
def create_level(*, organization: Organization, name: str, description: str = "") -> SkillLevel:
    """Add a level at the top of the scale."""
    name = _check_level_name(organization, name)
    top = SkillLevel.objects.filter(organization=organization).aggregate(m=Max("rank"))["m"] or 0
    return SkillLevel.objects.create(
        organization=organization, name=name, rank=top + 1, description=description
    )


@transaction.atomic
def update_level(*, level: SkillLevel, name: str, description: str = "") -> SkillLevel:
    level.name = _check_level_name(level.organization, name, exclude_pk=level.pk)
    level.description = description
    level.save(update_fields=["name", "description"])
    return level


@transaction.atomic
def move_level(*, level: SkillLevel, direction: str) -> SkillLevel:
    """Swap a level with its neighbour ("up" = higher on the scale, "down" = lower)."""
    if direction not in ("up", "down"):
        raise SkillError("Move a level up or down.")
    levels = list(
        SkillLevel.objects.select_for_update()
        .filter(organization_id=level.organization_id).order_by("rank")
    )
    index = next(i for i, lv in enumerate(levels) if lv.pk == level.pk)
    other = index + (1 if direction == "up" else -1)
    if not 0 <= other < len(levels):
        edge = "highest" if direction == "up" else "lowest"
        raise SkillError(f"“{level.name}” is already the {edge} level.")
    levels[index], levels[other] = levels[other], levels[index]
    for rank, item in enumerate(levels, start=1):
        if item.rank != rank:
            item.rank = rank
            item.save(update_fields=["rank"])
    return next(lv for lv in levels if lv.pk == level.pk)


@transaction.atomic
def delete_level(*, level: SkillLevel) -> None:
    """Delete a level nobody holds and no history, review or requirement mentions."""
    from django.db.models import Q

    organization_id = level.organization_id
    if SkillLevel.objects.filter(organization_id=organization_id).count() <= 1:
        raise SkillError("The scale needs at least one level.")
    in_use = (
        UserSkill.objects.filter(level=level).exists()
        or SkillChange.objects.filter(Q(from_level=level) | Q(to_level=level)).exists()
        or SkillReview.objects.filter(Q(level=level) | Q(held_level=level)).exists()
        or _required_at(level)
    )
    if in_use:
        raise SkillError(
            f"“{level.name}” is in use (held, in history, or requested); rename it instead."
        )
    level.delete()
    for rank, item in enumerate(
        SkillLevel.objects.filter(organization_id=organization_id).order_by("rank"), start=1
    ):
        if item.rank != rank:
            item.rank = rank
            item.save(update_fields=["rank"])


def _required_at(level: SkillLevel) -> bool:
    return WorkItemSkill.objects.filter(minimum_level=level).exists()


def _check_parent(skill: Skill | None, parent: Skill | None, organization: Organization) -> None:
    if parent is None:
        return
    same_tenant(organization, parent, error=SkillError,
                message="The parent skill belongs to another organization.")
    if skill is None or skill.pk is None:
        return
    seen: set[int] = set()
    node: Skill | None = parent
    while node is not None:
        if node.pk == skill.pk:
            raise SkillError(
                f"“{parent.name}” is below “{skill.name}” in the hierarchy, so it cannot be "
                "its parent (that would make a cycle)."
            )
        if node.pk in seen:  # a cycle already stored: stop rather than loop
            break
        seen.add(node.pk)
        node = Skill.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def validate_skill(
    *, organization: Organization, skill: Skill | None, name: str, parent: Skill | None
) -> str:
    """Check a skill's name and parent without writing; returns the normalized name."""
    name = " ".join(name.split())
    if not name:
        raise SkillError("A skill needs a name.")
    if skill is not None and skill.pk:
        same_tenant(organization, skill, error=SkillError,
                    message="This skill belongs to another organization.")
    clash = Skill.objects.filter(organization=organization, name__iexact=name)
    if skill is not None and skill.pk:
        clash = clash.exclude(pk=skill.pk)
    if clash.exists():
        raise SkillError(f"A skill named “{name}” already exists.")
    _check_parent(skill, parent, organization)
    return name


@transaction.atomic
def save_skill(
    *,
    organization: Organization,
    skill: Skill | None = None,
    name: str,
    description: str = "",
    category: str = "",
    skill_type: str = SkillType.TECHNICAL,
    parent: Skill | None = None,
    active: bool = True,
) -> Skill:
    """Create a skill, or update one; refuses a duplicate name and a cycle in the hierarchy.

    Locks the organization's skills while checking the hierarchy so two concurrent edits
    cannot together build a cycle.
    """
    if parent is not None:
        list(Skill.objects.select_for_update().filter(organization=organization).values("pk"))
    name = validate_skill(organization=organization, skill=skill, name=name, parent=parent)
    if skill is None:
        skill = Skill(organization=organization)
    skill.name = name
    skill.description = description
    skill.category = category.strip()
    skill.skill_type = SkillType(skill_type)
    skill.parent = parent
    skill.active = active
    skill.save()
    return skill
