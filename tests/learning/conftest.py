"""A learning world in two tenants: roles, two teams, skills, catalogs and courses."""

from dataclasses import dataclass

import pytest

from learning.enums import ContentSource, Provider
from learning.models import CourseItem, LearningCatalog
from learning.services import save_catalog, save_course_item
from skills.models import Skill, SkillLevel
from skills.services import ensure_level_scale, save_skill
from tenancy.models import Team, User


@dataclass
class LearningWorld:
    tenant: object
    other: object
    admin: User  # org admin
    learning_admin: User
    coach: User  # manages `team`
    co_coach: User  # additional manager of `team`
    coach2: User  # manages `team2`
    agent: User  # in `team`
    agent2: User  # in `team`
    agent3: User  # in `team2`
    outsider: User  # every role in the other tenant
    team: Team
    team2: Team
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
    admin = tenant_a.member("org_admin", username="ada")
    learning_admin = tenant_a.member("learning_admin", username="lars")
    coach = tenant_a.member("coach", username="carl")
    co_coach = tenant_a.member("coach", username="cora")
    coach2 = tenant_a.member("coach", username="cleo")
    agent = tenant_a.member("agent", username="abe", first_name="Abe", last_name="Ames")
    agent2 = tenant_a.member("agent", username="amy", first_name="Amy", last_name="Adler")
    agent3 = tenant_a.member("agent", username="ann", first_name="Ann", last_name="Arden")
    outsider = tenant_b.member("org_admin", "coach", "agent", "learning_admin", username="bob",
                               first_name="Bob", last_name="Brown")
    team = tenant_a.team("Service Desk", manager=coach, members=[agent, agent2],
                         co_managers=[co_coach])
    team2 = tenant_a.team("Network Operations", manager=coach2, members=[agent3])
    other_team = tenant_b.team("Billing", manager=outsider, members=[outsider])
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
                                     teams=[other_team])
        other_course = save_course_item(
            organization=tenant_b.org, title="Billing basics", source=ContentSource.FREE_FORM,
            body="<p>Invoices.</p>", catalogs=[other_catalog],
        )
    return LearningWorld(tenant_a, tenant_b, admin, learning_admin, coach, co_coach, coach2,
                         agent, agent2, agent3, outsider, team, team2, levels, vpn, empathy,
                         catalog, catalog2, article, external, other_course)
