"""A skills world in two tenants: roles, two teams, a small catalogue and the level scale."""

from dataclasses import dataclass

import pytest

from skills.models import Skill, SkillLevel
from skills.services import ensure_level_scale, save_skill
from tenancy.models import User
from tests.factories import World, make_world


@dataclass(kw_only=True)
class SkillsWorld(World):
    """The common cast in two tenants (``outsider`` holds every role in the other one) with
    a skill admin, the level scale of both tenants and a small catalogue."""

    skill_admin: User
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
    base = make_world(
        tenant=tenant_a, other=tenant_b, admin="ada",
        staff={"skill_admin": (["skill_admin"], "sade")},
        coach="carl", co_coach="cora", coach2="cleo",
        agent={"username": "abe", "first_name": "Abe", "last_name": "Ames"},
        agent2={"username": "amy", "first_name": "Amy", "last_name": "Adler"},
        agent3={"username": "ann", "first_name": "Ann", "last_name": "Arden"},
        outsider={"username": "bob", "first_name": "Bob", "last_name": "Brown"},
        outsider_roles=["org_admin", "coach", "agent", "skill_admin"],
        team="Service Desk", team2="Network Operations", other_team="Billing",
    )
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
    return SkillsWorld(
        **base.as_kwargs(), skill_admin=base.staff["skill_admin"], levels=levels,
        other_levels=other_levels, networking=networking, firewall=firewall, router=router,
        empathy=empathy, other_skill=other_skill,
    )
