"""A skills world in two tenants: roles, two teams, a small catalogue and the level scale."""

from dataclasses import dataclass

import pytest

from skills.models import Skill, SkillLevel
from skills.services import ensure_level_scale, save_skill
from tenancy.models import Team, User


@dataclass
class SkillsWorld:
    tenant: object
    other: object
    admin: User  # org admin
    skill_admin: User
    coach: User  # manages `team`
    co_coach: User  # additional manager of `team`
    coach2: User  # manages `team2`
    agent: User  # in `team`
    agent2: User  # in `team`
    agent3: User  # in `team2`
    outsider: User  # org admin, coach and agent of the other tenant
    team: Team
    team2: Team
    levels: list[SkillLevel]
    other_levels: list[SkillLevel]
    networking: Skill
    firewall: Skill
    router: Skill
    empathy: Skill
    other_skill: Skill  # of the other tenant

    def level(self, name: str) -> SkillLevel:
        return next(lv for lv in self.levels if lv.name == name)


@pytest.fixture
def world(tenant_a, tenant_b):
    admin = tenant_a.member("org_admin", username="ada")
    skill_admin = tenant_a.member("skill_admin", username="sade")
    coach = tenant_a.member("coach", username="carl")
    co_coach = tenant_a.member("coach", username="cora")
    coach2 = tenant_a.member("coach", username="cleo")
    agent = tenant_a.member("agent", username="abe", first_name="Abe", last_name="Ames")
    agent2 = tenant_a.member("agent", username="amy", first_name="Amy", last_name="Adler")
    agent3 = tenant_a.member("agent", username="ann", first_name="Ann", last_name="Arden")
    outsider = tenant_b.member("org_admin", "coach", "agent", "skill_admin", username="bob",
                              first_name="Bob", last_name="Brown")
    team = tenant_a.team("Service Desk", manager=coach, members=[agent, agent2],
                         co_managers=[co_coach])
    team2 = tenant_a.team("Network Operations", manager=coach2, members=[agent3])
    tenant_b.team("Billing", manager=outsider, members=[outsider])
    with tenant_a.scope():
        levels = ensure_level_scale(organization=tenant_a.org)
        networking = save_skill(organization=tenant_a.org, name="Networking",
                                category="Infrastructure")
        firewall = save_skill(organization=tenant_a.org, name="Firewall", parent=networking,
                              category="Infrastructure")
        router = save_skill(organization=tenant_a.org, name="Router", parent=networking,
                            category="Infrastructure")
        empathy = save_skill(organization=tenant_a.org, name="Empathy", skill_type="soft",
                             category="Soft skills")
    with tenant_b.scope():
        other_levels = ensure_level_scale(organization=tenant_b.org)
        other_skill = save_skill(organization=tenant_b.org, name="Firewall")
    return SkillsWorld(tenant_a, tenant_b, admin, skill_admin, coach, co_coach, coach2, agent,
                       agent2, agent3, outsider, team, team2, levels, other_levels, networking,
                       firewall, router, empathy, other_skill)
