"""Demo routing for ``manage.py seed_demo``: unassigned open items that require a skill
some agents of the team hold, routed once so the item pages show the decision.

Idempotent: a tenant that already has routed demo items is left alone.
"""

from skills.models import UserSkill
from skills.services import ensure_level_scale
from tenancy.models import Organization
from work.models import WorkItem
from work.services import upsert_work_items

from .enums import Trigger
from .services import RoutingError, route_work_item, set_routing_settings

DEMO_PREFIX = "DEMO-ROUTE-"


def seed_routing(organization: Organization, people, stdout=None) -> None:
    if WorkItem.objects.filter(organization=organization,
                               external_id__startswith=DEMO_PREFIX).exists():
        return
    names = {lv.rank: lv.name for lv in ensure_level_scale(organization=organization)}
    set_routing_settings(organization=organization, auto_assign=False,
                         when_nobody_qualifies="flag", pool="team", max_open=25)
    items = []
    for team in people.teams:
        member_ids = [u.pk for u in team.members.all()]
        held = (UserSkill.objects.filter(organization=organization, user_id__in=member_ids,
                                         skill__active=True)
                .select_related("skill", "level").order_by("-level__rank", "skill__name"))
        skills = []
        for holding in held:
            if holding.skill.name not in [s for s, _ in skills]:
                skills.append((holding.skill.name, holding.level.rank))
            if len(skills) == 3:
                break
        for number, (skill, rank) in enumerate(skills, start=1):
            items.append({
                "external_id": f"{DEMO_PREFIX}{team.pk}-{number}", "kind": "incident",
                "short_description": f"Needs {skill} (level {names.get(rank, rank)} or higher)",
                "team": team.name, "state": "new", "skills": [{"name": skill,
                                                               "minimum_level": rank}],
            })
    if not items:
        return
    upsert_work_items(organization=organization, items=items)
    routed = 0
    for item in WorkItem.objects.filter(organization=organization,
                                        external_id__startswith=DEMO_PREFIX):
        try:
            route_work_item(organization=organization, item=item, trigger=Trigger.AUTO)
        except RoutingError:
            continue
        routed += 1
    if stdout is not None:
        stdout.write(f"{organization.slug}: {routed} demo items routed by skill.")
