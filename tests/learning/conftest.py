"""A learning world in two tenants: roles, two teams, skills, catalogs and courses."""

from dataclasses import dataclass

import pytest

from learning.enums import ContentSource, Provider
from learning.models import CourseItem, LearningCatalog
from learning.services import save_catalog, save_course_item
from skills.models import Skill, SkillLevel
from skills.services import ensure_level_scale, save_skill
from tenancy.models import User
from tests.factories import World, make_world


@dataclass(kw_only=True)
class LearningWorld(World):
    """The common cast in two tenants (``outsider`` holds every role in the other one) with
    a learning admin, the level scale, two skills, a catalog per team and two courses."""

    learning_admin: User
    levels: list[SkillLevel]
    vpn: Skill
    empathy: Skill
    catalog: LearningCatalog  # for `team`
    catalog2: LearningCatalog  # for `team2`
    article: CourseItem  # grants VPN (Intermediate) and Empathy (Novice), 5 days
    external: CourseItem  # Udemy, grants nothing, 3 days
    other_course: CourseItem  # of the other tenant

    def level(self, name: str) -> SkillLevel:
        return next(lv for lv in self.levels if lv.name == name)


@pytest.fixture
def world(tenant_a, tenant_b):
    base = make_world(
        tenant=tenant_a, other=tenant_b, admin="ada",
        staff={"learning_admin": (["learning_admin"], "lars")},
        coach="carl", co_coach="cora", coach2="cleo",
        agent={"username": "abe", "first_name": "Abe", "last_name": "Ames"},
        agent2={"username": "amy", "first_name": "Amy", "last_name": "Adler"},
        agent3={"username": "ann", "first_name": "Ann", "last_name": "Arden"},
        outsider={"username": "bob", "first_name": "Bob", "last_name": "Brown"},
        outsider_roles=["org_admin", "coach", "agent", "learning_admin"],
        team="Service Desk", team2="Network Operations", other_team="Billing",
    )
    learning_admin, team, team2 = base.staff["learning_admin"], base.team, base.team2
    with tenant_a.scope():
        levels = ensure_level_scale(organization=tenant_a.org)
        vpn = save_skill(organization=tenant_a.org, name="VPN", category="Infrastructure")
        empathy = save_skill(organization=tenant_a.org, name="Empathy", skill_type="soft")
        catalog = save_catalog(organization=tenant_a.org, title="Service desk essentials",
                               owner=learning_admin, teams=[team])
        catalog2 = save_catalog(organization=tenant_a.org, title="Network basics",
                                owner=learning_admin, teams=[team2])
        by_name = {lv.name: lv for lv in levels}
        article = save_course_item(
            organization=tenant_a.org, title="VPN troubleshooting", source=ContentSource.ARTICLE,
            body="<p>Check the <strong>client</strong> first.</p>", catalogs=[catalog],
            skills=[(vpn, by_name["Intermediate"]), (empathy, by_name["Novice"])],
            estimated_minutes=20, created_by=learning_admin,
        )
        external = save_course_item(
            organization=tenant_a.org, title="Firewalls on Udemy", source=ContentSource.EXTERNAL,
            provider=Provider.UDEMY, url="https://www.udemy.com/course/firewalls/",
            days_to_complete=3, catalogs=[catalog, catalog2],
        )
    with tenant_b.scope():
        other_catalog = save_catalog(organization=tenant_b.org, title="Billing",
                                     teams=[base.other_team])
        other_course = save_course_item(
            organization=tenant_b.org, title="Billing basics", source=ContentSource.FREE_FORM,
            body="<p>Invoices.</p>", catalogs=[other_catalog],
        )
    return LearningWorld(
        **base.as_kwargs(), learning_admin=learning_admin, levels=levels, vpn=vpn,
        empathy=empathy, catalog=catalog, catalog2=catalog2, article=article, external=external,
        other_course=other_course,
    )
