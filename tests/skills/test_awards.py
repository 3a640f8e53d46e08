"""award_skill / lower_skill / set_skill_level: adds, raises, never lowers silently, records."""

import pytest

from skills.enums import ChangeKind, Source
from skills.models import SkillChange, UserSkill
from skills.services import SkillError, award_skill, lower_skill, set_skill_level


def holdings(user):
    return sorted(UserSkill.objects.filter(user=user).values_list("skill__name", "level__name"))


def history(user):
    return list(
        SkillChange.objects.filter(user=user).order_by("id").values_list(
            "skill__name", "kind", "from_level__name", "to_level__name", "source",
            "actor__username", "cause_type", "cause_id",
        )
    )


def test_award_skill_adds_then_raises_and_records_history(world):
    with world.tenant.scope():
        held = award_skill(user=world.agent, skill=world.firewall, level=world.level("Novice"),
                           source=Source.ASSESSMENT, actor=world.coach, cause=("assessment", 41))
        assert (held.level.name, held.source, held.awarded_by) == ("Novice", "assessment",
                                                                   world.coach)
        held = award_skill(user=world.agent, skill=world.firewall,
                           level=world.level("Advanced"), source=Source.LEARNING,
                           cause=("learning_task", 7))
        assert held.level.name == "Advanced"
        assert held.source == "learning"
        assert holdings(world.agent) == [("Firewall", "Advanced")]
        assert history(world.agent) == [
            ("Firewall", "added", None, "Novice", "assessment", "carl", "assessment", 41),
            ("Firewall", "raised", "Novice", "Advanced", "learning", None, "learning_task", 7),
        ]


def test_award_skill_is_idempotent_and_never_lowers(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Advanced"),
                    source=Source.MANUAL, actor=world.coach)
        again = award_skill(user=world.agent, skill=world.firewall,
                            level=world.level("Advanced"), source=Source.IMPORT)
        lower = award_skill(user=world.agent, skill=world.firewall,
                            level=world.level("Novice"), source=Source.ASSESSMENT)
        assert again.level.name == lower.level.name == "Advanced"
        assert UserSkill.objects.get(user=world.agent).source == "manual"
        assert SkillChange.objects.filter(user=world.agent).count() == 1


def test_award_skill_refuses_level_of_another_tenant(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="belongs to another organization's scale"):
            award_skill(user=world.agent, skill=world.firewall, level=world.other_levels[0],
                        source=Source.MANUAL)
        assert holdings(world.agent) == []
        assert SkillChange.objects.count() == 0


def test_award_skill_refuses_user_outside_the_skills_tenant(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="Bob Brown is not a member of this organization"):
            award_skill(user=world.outsider, skill=world.firewall, level=world.levels[0],
                        source=Source.MANUAL)
        assert UserSkill.objects.count() == 0


def test_award_skill_refuses_retired_skill(world):
    world.router.active = False
    world.router.save()
    with world.tenant.scope(), pytest.raises(SkillError, match="“Router” is retired"):
        award_skill(user=world.agent, skill=world.router, level=world.levels[0],
                    source=Source.MANUAL)


def test_award_skill_records_a_model_instance_as_cause(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.empathy, level=world.levels[1],
                    source=Source.REVIEW, cause=world.team)
        change = SkillChange.objects.get()
        assert (change.cause_type, change.cause_id) == ("team", world.team.pk)


def test_lower_skill_is_explicit_and_recorded(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Expert"),
                    source=Source.MANUAL)
        lowered = lower_skill(user=world.agent, skill=world.firewall,
                              level=world.level("Intermediate"), actor=world.coach,
                              note="Moved off network work")
        assert lowered.level.name == "Intermediate"
        with pytest.raises(SkillError, match="Advanced is not lower"):
            lower_skill(user=world.agent, skill=world.firewall, level=world.level("Advanced"),
                        actor=world.coach)
        assert lower_skill(user=world.agent, skill=world.firewall, level=None,
                           actor=world.coach) is None
        assert holdings(world.agent) == []
        assert [(c[1], c[2], c[3]) for c in history(world.agent)] == [
            (ChangeKind.ADDED, None, "Expert"),
            (ChangeKind.LOWERED, "Expert", "Intermediate"),
            (ChangeKind.REMOVED, "Intermediate", None),
        ]
        assert SkillChange.objects.filter(kind="lowered").get().note == "Moved off network work"


def test_lower_skill_of_a_skill_not_held_is_refused(world):
    with world.tenant.scope(), pytest.raises(SkillError, match="does not hold “Firewall”"):
        lower_skill(user=world.agent, skill=world.firewall, level=None, actor=world.coach)


def test_set_skill_level_needs_confirmation_to_lower(world):
    with world.tenant.scope():
        set_skill_level(user=world.agent, skill=world.firewall, level=world.level("Advanced"),
                        actor=world.coach, allow_lower=False)
        with pytest.raises(SkillError, match="must be confirmed"):
            set_skill_level(user=world.agent, skill=world.firewall,
                            level=world.level("Novice"), actor=world.coach, allow_lower=False)
        assert holdings(world.agent) == [("Firewall", "Advanced")]
        set_skill_level(user=world.agent, skill=world.firewall, level=world.level("Novice"),
                        actor=world.coach, allow_lower=True)
        assert holdings(world.agent) == [("Firewall", "Novice")]
        assert set_skill_level(user=world.agent, skill=world.router, level=None,
                               actor=world.coach, allow_lower=False) is None
        assert SkillChange.objects.filter(user=world.agent).count() == 2


def test_history_rows_are_immutable(world):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.levels[0],
                    source=Source.MANUAL)
        change = SkillChange.objects.get()
        change.note = "rewritten"
        with pytest.raises(ValueError, match="immutable"):
            change.save()
        with pytest.raises(ValueError, match="immutable"):
            change.delete()
        assert SkillChange.objects.get().note == ""
