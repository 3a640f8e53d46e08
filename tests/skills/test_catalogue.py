"""The catalogue and the level scale: names, hierarchy without cycles, ordering."""

import pytest
from django_scopes import scopes_disabled

from skills.enums import Source
from skills.models import Skill, SkillLevel
from skills.services import (
    SkillError,
    award_skill,
    create_level,
    delete_level,
    ensure_level_scale,
    move_level,
    save_skill,
    update_level,
)


def scale(org):
    with scopes_disabled():
        return list(SkillLevel.objects.filter(organization=org).order_by("rank")
                    .values_list("name", "rank"))


def test_default_level_scale_is_created_once(world):
    assert scale(world.tenant.org) == [("Novice", 1), ("Intermediate", 2), ("Advanced", 3),
                                       ("Expert", 4)]
    with world.tenant.scope():
        ensure_level_scale(organization=world.tenant.org)
        assert SkillLevel.objects.count() == 4


def test_levels_can_be_added_renamed_reordered_and_deleted(world):
    org = world.tenant.org
    with world.tenant.scope():
        master = create_level(organization=org, name="Master")
        update_level(level=world.level("Novice"), name="Beginner")
        move_level(level=master, direction="down")
        assert scale(org) == [("Beginner", 1), ("Intermediate", 2), ("Advanced", 3),
                              ("Master", 4), ("Expert", 5)]
        with pytest.raises(SkillError, match="already the highest level"):
            move_level(level=SkillLevel.objects.get(name="Expert"), direction="up")
        with pytest.raises(SkillError, match="already has a level named “expert”"):
            create_level(organization=org, name="expert")
        delete_level(level=master)
        assert scale(org) == [("Beginner", 1), ("Intermediate", 2), ("Advanced", 3),
                              ("Expert", 4)]


def test_a_level_in_use_cannot_be_deleted(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Advanced"),
                    source=Source.MANUAL)
        with pytest.raises(SkillError, match="“Advanced” is in use"):
            delete_level(level=world.level("Advanced"))
        assert len(scale(world.tenant.org)) == 4


def test_duplicate_skill_name_is_refused_case_insensitively(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="A skill named “firewall” already exists"):
            save_skill(organization=world.tenant.org, name="  firewall ")
        assert Skill.objects.filter(name__iexact="firewall").count() == 1
    # The same name in another tenant is fine: names are unique per organization.
    assert world.other_skill.name == "Firewall"


def test_a_cycle_in_the_hierarchy_is_refused(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="would make a cycle"):
            save_skill(organization=world.tenant.org, skill=world.networking,
                       name="Networking", parent=world.firewall)
        deeper = save_skill(organization=world.tenant.org, name="NAT", parent=world.firewall)
        with pytest.raises(SkillError, match="would make a cycle"):
            save_skill(organization=world.tenant.org, skill=world.networking,
                       name="Networking", parent=deeper)
        with pytest.raises(SkillError, match="would make a cycle"):
            save_skill(organization=world.tenant.org, skill=world.networking,
                       name="Networking", parent=world.networking)
        world.networking.refresh_from_db()
        assert world.networking.parent_id is None


def test_a_parent_of_another_tenant_is_refused(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="parent skill belongs to another organization"):
            save_skill(organization=world.tenant.org, name="VPN", parent=world.other_skill)
        assert not Skill.objects.filter(name="VPN").exists()
