"""Self-review: request → approved | rejected | withdrawn, e-mails, and who may decide."""

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from skills.enums import Source
from skills.models import SkillChange, SkillReview, UserSkill
from skills.services import (
    SkillError,
    approve_skill_review,
    award_skill,
    reject_skill_review,
    request_skill_review,
    withdraw_skill_review,
)
from tenancy.models import Membership, TeamManager
from tenancy.services import set_member_roles


@pytest.fixture
def review(world, django_capture_on_commit_callbacks):
    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        return request_skill_review(user=world.agent, skill=world.firewall,
                                    level=world.level("Advanced"),
                                    justification="Fixed 12 firewall tickets",
                                    requested_by=world.agent)


def test_request_emails_the_agents_coaches_with_a_direct_link(world, review, settings):
    assert review.state == "requested"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["carl@example.com", "cora@example.com"]
    assert message.subject == "Skill review: Abe Ames asks for Firewall (Advanced)"
    assert f"{settings.SITE_URL}/o/alpha/skills/reviews/{review.pk}/" in message.body
    assert "Fixed 12 firewall tickets" in message.body


def test_approve_awards_the_level_with_source_review_and_mails_the_agent(
    world, review, django_capture_on_commit_callbacks, settings
):
    mail.outbox.clear()
    with world.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        approve_skill_review(review=review, decided_by=world.co_coach, comment="Well earned")
        review.refresh_from_db()
        assert (review.state, review.decided_by, review.decision_comment) == (
            "approved", world.co_coach, "Well earned")
        held = UserSkill.objects.get(user=world.agent, skill=world.firewall)
        assert (held.level.name, held.source, held.awarded_by) == ("Advanced", "review",
                                                                   world.co_coach)
        change = SkillChange.objects.get(user=world.agent)
        assert (change.source, change.cause_type, change.cause_id) == (
            "review", "skillreview", review.pk)
    assert [m.to for m in mail.outbox] == [["abe@example.com"]]
    assert mail.outbox[0].subject == "Your skill review for Firewall was approved"
    assert f"{settings.SITE_URL}/o/alpha/skills/me/" in mail.outbox[0].body


def test_reject_needs_a_comment_and_awards_nothing(world, review):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="a rejection needs a comment"):
            reject_skill_review(review=review, decided_by=world.coach, comment=" ")
        reject_skill_review(review=review, decided_by=world.coach, comment="Show a cert first")
        review.refresh_from_db()
        assert review.state == "rejected"
        assert not UserSkill.objects.filter(user=world.agent).exists()
        with pytest.raises(SkillError, match="already rejected"):
            approve_skill_review(review=review, decided_by=world.coach)


def test_approving_your_own_review_is_refused(world):
    # Amy is agent and coach of her own team.
    with scopes_disabled():
        from tenancy.models import Membership

        m = Membership.objects.get(user=world.agent2)
        m.is_coach = True
        m.save()
        world.team.manager = world.agent2
        world.team.save()
    with world.tenant.scope():
        review = request_skill_review(user=world.agent2, skill=world.empathy,
                                      level=world.levels[0], justification="x",
                                      requested_by=world.agent2)
        with pytest.raises(SkillError, match="cannot decide your own skill review"):
            approve_skill_review(review=review, decided_by=world.agent2)
        review.refresh_from_db()
        assert review.state == "requested"


def test_a_coach_of_another_team_cannot_decide(world, review):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="Only a coach of Abe Ames's teams"):
            approve_skill_review(review=review, decided_by=world.coach2)
        review.refresh_from_db()
        assert review.state == "requested"
        assert not UserSkill.objects.exists()


def test_an_agent_cannot_propose_a_skill_for_someone_else(world):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="only ask for a review of your own skills"):
            request_skill_review(user=world.agent2, skill=world.firewall, level=world.levels[0],
                                 justification="x", requested_by=world.agent)
        assert not SkillReview.objects.exists()


def test_request_must_ask_more_than_held_and_only_once(world, review):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="already have an open request for “Firewall”"):
            request_skill_review(user=world.agent, skill=world.firewall,
                                 level=world.level("Expert"), justification="x",
                                 requested_by=world.agent)
        award_skill(user=world.agent, skill=world.router, level=world.level("Advanced"),
                    source=Source.MANUAL)
        with pytest.raises(SkillError, match="already hold “Router” at Advanced"):
            request_skill_review(user=world.agent, skill=world.router,
                                 level=world.level("Novice"), justification="x",
                                 requested_by=world.agent)
        with pytest.raises(SkillError, match="another organization's scale"):
            request_skill_review(user=world.agent, skill=world.empathy,
                                 level=world.other_levels[3], justification="x",
                                 requested_by=world.agent)
        assert SkillReview.objects.count() == 1


def test_withdraw_only_by_the_agent(world, review):
    with world.tenant.scope():
        with pytest.raises(SkillError, match="Only the person who asked"):
            withdraw_skill_review(review=review, withdrawn_by=world.coach)
        withdraw_skill_review(review=review, withdrawn_by=world.agent)
        review.refresh_from_db()
        assert review.state == "withdrawn"


def test_state_is_protected_from_direct_assignment(world, review):
    with pytest.raises(AttributeError):
        review.state = "approved"


def _drop_coach_role_leaving_the_team_relation(user):
    """What a demotion left behind before the fix: no coach role, still the manager."""
    with scopes_disabled():
        Membership.objects.filter(user=user).update(is_coach=False, is_agent=True)


@pytest.mark.parametrize("who", ["coach", "co_coach"])
def test_a_demoted_manager_still_recorded_on_the_team_cannot_decide(world, review, who):
    demoted = getattr(world, who)
    _drop_coach_role_leaving_the_team_relation(demoted)
    with world.tenant.scope():
        assert demoted.has_perm("skills.decide_review", review) is False
        with pytest.raises(SkillError, match="Only a coach of Abe Ames's teams"):
            approve_skill_review(review=review, decided_by=demoted)
        with pytest.raises(SkillError, match="Only a coach of Abe Ames's teams"):
            reject_skill_review(review=review, decided_by=demoted, comment="No")
        review.refresh_from_db()
        assert review.state == "requested"
        assert not UserSkill.objects.exists()


def test_a_demoted_manager_no_longer_reaches_the_review_or_its_approve_action(
    world, review, client
):
    _drop_coach_role_leaving_the_team_relation(world.coach)
    client.force_login(world.coach)

    page = client.get(world.tenant.url(f"skills/reviews/{review.pk}/"))
    response = client.post(world.tenant.url(f"skills/reviews/{review.pk}/approve/"))

    assert (page.status_code, response.status_code) == (404, 404)
    with world.tenant.scope():
        review.refresh_from_db()
        assert review.state == "requested"
        assert not UserSkill.objects.exists()


def test_removing_the_coach_role_through_the_service_ends_team_management(world, review):
    with world.tenant.scope():
        for coach in (world.coach, world.co_coach):
            set_member_roles(membership=Membership.objects.get(user=coach), roles=["agent"])
        world.team.refresh_from_db()
        assert world.team.manager is None
        assert not TeamManager.objects.filter(team=world.team).exists()
        for coach in (world.coach, world.co_coach):
            with pytest.raises(SkillError):
                approve_skill_review(review=review, decided_by=coach)
