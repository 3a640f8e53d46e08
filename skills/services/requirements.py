"""The skills a work item requires: the catalogue work's ingest asks about skill names.

``work`` sits below ``skills`` and never imports it; it keeps the names as the source sent
them (``work.RequestedSkill``). :class:`SkillCatalog`, registered with
``work.extensions.skill_catalog``, checks those names against the catalogue and, in the
ingest transaction, writes the resolved requirements (``WorkItemSkill``) — their only
writer.
"""

from collections.abc import Iterable

from tenancy.models import Organization

from ..models import Skill, WorkItemSkill
from .catalogue import ensure_level_scale, save_skill


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

