"""The skills a work item requires, and the catalogue hook work's ingest asks about names.

``work`` sits below ``skills`` and never imports it. Until ingest is wired to
:func:`set_work_item_skills` (and :class:`SkillCatalog` is registered with
``work.extensions.skill_catalog``), work keeps its interim name-based requirements and
:func:`sync_work_item_skills` copies them into this app's ``WorkItemSkill``.
"""

from collections.abc import Iterable

from django.db import transaction

from tenancy.models import Organization

from ..errors import SkillError
from ..models import Skill, SkillLevel, WorkItemSkill
from .catalogue import ensure_level_scale, save_skill


@transaction.atomic
def set_work_item_skills(
    *,
    work_item,
    requirements: list[tuple[str, str | None]],
    create_missing: bool,
) -> list[WorkItemSkill]:
    """Make ``work_item`` require exactly these (skill name, minimum level name or None).

    Names match the organization's catalogue case-insensitively; an unknown skill is an
    error unless ``create_missing``; an unknown level is always an error. Requirements not
    listed are removed. Returns the requirements in the order given.
    """
    organization_id = work_item.organization_id
    organization = Organization.objects.get(pk=organization_id)
    levels = {lv.name.lower(): lv for lv in ensure_level_scale(organization=organization)}
    wanted: dict[int, tuple[Skill, SkillLevel | None]] = {}
    for raw_name, raw_level in requirements:
        name = " ".join((raw_name or "").split())
        if not name:
            raise SkillError("A required skill needs a name.")
        skill = Skill.objects.filter(organization_id=organization_id, name__iexact=name).first()
        if skill is None:
            if not create_missing:
                raise SkillError(f"No skill is named “{name}”.")
            skill = save_skill(organization=organization, name=name)
        level = None
        if raw_level:
            level = levels.get(raw_level.strip().lower())
            if level is None:
                names = ", ".join(lv.name for lv in levels.values())
                raise SkillError(f"“{raw_level}” is not a level of the scale ({names}).")
        wanted[skill.pk] = (skill, level)
    existing = {r.skill_id: r for r in WorkItemSkill.objects.filter(work_item=work_item)}
    WorkItemSkill.objects.filter(work_item=work_item).exclude(skill_id__in=wanted).delete()
    result = []
    for skill_id, (skill, level) in wanted.items():
        requirement = existing.get(skill_id)
        if requirement is None:
            requirement = WorkItemSkill.objects.create(
                organization_id=organization_id, work_item=work_item, skill=skill,
                minimum_level=level,
            )
        elif requirement.minimum_level_id != (level.pk if level else None):
            requirement.minimum_level = level
            requirement.save(update_fields=["minimum_level"])
        result.append(requirement)
    return result


class SkillCatalog:
    """Answers work's ingest (``work.extensions.SkillCatalog``) from the skill catalogue."""

    def unknown(self, organization: Organization, names: Iterable[str]) -> set[str]:
        names = [n for n in names if n]
        known = {
            n.lower() for n in Skill.objects.filter(organization=organization)
            .values_list("name", flat=True)
        }
        return {n for n in names if " ".join(n.split()).lower() not in known}

    def create(self, organization: Organization, names: Iterable[str]) -> None:
        for name in sorted(set(self.unknown(organization, names))):
            if not Skill.objects.filter(organization=organization,
                                        name__iexact=" ".join(name.split())).exists():
                save_skill(organization=organization, name=name)

    def replace_requirements(
        self, organization: Organization, requirements: dict[int, list[tuple[str, int | None]]]
    ) -> None:
        """Link work items to catalogue skills (bulk; called inside work's ingest).

        Names match case-insensitively (ingest has already refused or created unknown
        ones); a minimum level is the rank on the tenant's scale, and a rank above the top
        of the scale means the top level.
        """
        if not requirements:
            return
        levels = ensure_level_scale(organization=organization)
        by_rank = {level.rank: level for level in levels}
        skills = {
            skill.name.lower(): skill
            for skill in Skill.objects.filter(organization=organization)
        }
        WorkItemSkill.objects.filter(
            organization=organization, work_item_id__in=list(requirements)
        ).delete()
        rows = {}
        for work_item_id, pairs in requirements.items():
            for name, rank in pairs:
                skill = skills.get(" ".join(name.split()).lower())
                if skill is None:
                    continue
                level = None
                if rank is not None:
                    level = by_rank.get(rank) or levels[-1]
                rows[(work_item_id, skill.pk)] = WorkItemSkill(
                    organization=organization, work_item_id=work_item_id, skill=skill,
                    minimum_level=level,
                )
        WorkItemSkill.objects.bulk_create(list(rows.values()), batch_size=1000)


@transaction.atomic
def sync_work_item_skills(*, organization: Organization, create_missing: bool = True) -> int:
    """Copy work's interim name-based requirements into ``WorkItemSkill`` (bulk).

    Levels are matched by rank. Names without a skill are created when ``create_missing``,
    skipped otherwise. Existing requirements are kept. Returns the number of rows added.
    """
    from work.models import WorkItemSkill as InterimRequirement

    rows = list(
        InterimRequirement.objects.filter(organization=organization)
        .values_list("work_item_id", "skill_name", "minimum_level")
    )
    levels = {lv.rank: lv for lv in ensure_level_scale(organization=organization)}
    skills = {s.name.lower(): s for s in Skill.objects.filter(organization=organization)}
    for name in sorted({" ".join(n.split()) for _, n, _ in rows}):
        if name.lower() not in skills and create_missing and name:
            skills[name.lower()] = save_skill(organization=organization, name=name)
    new = []
    for work_item_id, name, rank in rows:
        skill = skills.get(" ".join(name.split()).lower())
        if skill is None:
            continue
        new.append(WorkItemSkill(organization=organization, work_item_id=work_item_id,
                                 skill=skill, minimum_level=levels.get(rank)))
    before = WorkItemSkill.objects.filter(organization=organization).count()
    WorkItemSkill.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return WorkItemSkill.objects.filter(organization=organization).count() - before
