"""The skill matrix: who sees which rows, filters, inline edits and a constant query count."""

import pytest
from django_scopes import scopes_disabled

from skills.enums import Source
from skills.models import Skill, SkillChange, UserSkill
from skills.services import award_skill
from tenancy.models import Membership, TeamMember, User


def cell_url(world, user, skill, org=None):
    return (org or world.tenant).url(f"skills/matrix/cell/{user.pk}/{skill.pk}/")


def rows(response):
    return [row.label for row in response.context["m"].rows]


def test_matrix_permission_matrix(world, login, client):
    url = world.tenant.url("skills/")
    assert login(world.coach).get(url).status_code == 200
    client.logout()
    assert login(world.skill_admin).get(url).status_code == 200
    client.logout()
    assert login(world.admin).get(url).status_code == 200
    client.logout()
    assert login(world.agent).get(url).status_code == 403
    client.logout()
    assert login(world.outsider).get(url).status_code == 404


def test_coach_sees_their_team_and_not_another(world, login):
    client = login(world.coach)
    response = client.get(world.tenant.url("skills/"))
    assert response.context["m"].team == world.team
    assert rows(response) == ["Abe Ames", "Amy Adler"]
    assert client.get(world.tenant.url(f"skills/?team={world.team2.pk}")).status_code == 404


def test_skill_admin_sees_every_agent_and_any_team(world, login):
    client = login(world.skill_admin)
    assert rows(client.get(world.tenant.url("skills/"))) == ["Abe Ames", "Amy Adler",
                                                             "Ann Arden"]
    response = client.get(world.tenant.url(f"skills/?team={world.team2.pk}"))
    assert rows(response) == ["Ann Arden"]


def test_matrix_filters(world, login):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Expert"),
                    source=Source.MANUAL)
        award_skill(user=world.agent2, skill=world.firewall, level=world.level("Novice"),
                    source=Source.MANUAL)
        award_skill(user=world.agent2, skill=world.empathy, level=world.level("Expert"),
                    source=Source.MANUAL)
    client = login(world.skill_admin)
    base = world.tenant.url("skills/")
    response = client.get(base + "?skill_type=soft")
    assert [s.name for s in response.context["m"].skills] == ["Empathy"]
    response = client.get(base + "?category=Infrastructure")
    assert [s.name for s in response.context["m"].skills] == ["Firewall", "Networking", "Router"]
    response = client.get(base + f"?user={world.agent2.pk}")
    assert rows(response) == ["Amy Adler"]
    response = client.get(base + f"?level={world.level('Expert').pk}&skill_type=technical")
    assert rows(response) == ["Abe Ames"]
    response = client.get(base + f"?level={world.level('Expert').pk}")
    assert rows(response) == ["Abe Ames", "Amy Adler"]
    cells = {c.skill.name: (c.level.name if c.level else None, c.dimmed)
             for c in response.context["m"].rows[1].cells}
    assert cells["Empathy"] == ("Expert", False)
    assert cells["Firewall"] == ("Novice", True)


def _populate(org, agents: int, skills: int):
    """``agents`` agents in one team holding every one of ``skills`` skills."""
    from skills.models import SkillLevel
    from tenancy.models import Team

    with scopes_disabled():
        team = Team.objects.create(organization=org, name=f"Big {agents}")
        users = User.objects.bulk_create(
            [User(username=f"bulk{agents}-{i}", first_name="Bulk", last_name=f"{i:04d}")
             for i in range(agents)]
        )
        Membership.objects.bulk_create(
            [Membership(organization=org, user=u, is_agent=True) for u in users])
        TeamMember.objects.bulk_create(
            [TeamMember(organization=org, team=team, user=u) for u in users])
        catalogue = Skill.objects.bulk_create(
            [Skill(organization=org, name=f"Bulk skill {agents}-{i:03d}", category="Bulk")
             for i in range(skills)])
        levels = list(SkillLevel.objects.filter(organization=org).order_by("rank"))
        from django.utils import timezone

        now = timezone.now()
        UserSkill.objects.bulk_create([
            UserSkill(organization=org, user=u, skill=s, level=levels[(i + j) % len(levels)],
                      source="import", acquired_at=now, changed_at=now)
            for i, u in enumerate(users) for j, s in enumerate(catalogue)
        ])
    return team


@pytest.mark.parametrize("agents,skills", [(3, 2), (200, 100)])
def test_matrix_query_count_is_constant(world, login, django_assert_num_queries, agents,
                                        skills):
    team = _populate(world.tenant.org, agents, skills)
    client = login(world.skill_admin)
    url = world.tenant.url(f"skills/?team={team.pk}&category=Bulk")
    client.get(url)  # the first request of a session also saves the current organization
    # session, user, organization, membership (×3 through the lazy user), user permissions
    # (×2, for the tabs the skill admin lacks), teams, levels, skills, categories, people,
    # holdings, pending recommendation markers — the same at 3 × 2 and at 200 × 100 (a page
    # of 50 people: selectors.MATRIX_PAGE).
    with django_assert_num_queries(15):
        response = client.get(url)
    shown = min(agents, 50)
    assert len(response.context["m"].rows) == shown
    assert response.context["m"].page.paginator.count == agents
    assert len(response.context["m"].skills) == skills
    assert response.content.count(b"data-cell") == shown * skills


def test_inline_edit_raises_a_level_and_returns_the_cell(world, login):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Novice"),
                    source=Source.MANUAL)
    client = login(world.coach)
    url = cell_url(world, world.agent, world.firewall)
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert b"<form class=\"cell-editor\"" in form.content
    assert b"<html" not in form.content
    response = client.post(url, {"level": world.level("Advanced").pk},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b">Advanced</a>" in response.content
    assert b"Saved: Firewall for Abe Ames is now Advanced." in response.content
    with world.tenant.scope():
        held = UserSkill.objects.get(user=world.agent, skill=world.firewall)
        assert (held.level.name, held.source, held.awarded_by) == ("Advanced", "manual",
                                                                   world.coach)
        assert SkillChange.objects.filter(kind="raised").count() == 1


def test_inline_edit_refuses_an_unconfirmed_lowering(world, login):
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Expert"),
                    source=Source.MANUAL)
    client = login(world.coach)
    url = cell_url(world, world.agent, world.firewall)
    response = client.post(url, {"level": world.level("Novice").pk},
                           headers={"HX-Request": "true"})
    assert "must be confirmed: tick “Lower the level”" in response.content.decode()
    with world.tenant.scope():
        assert UserSkill.objects.get(user=world.agent).level.name == "Expert"
    response = client.post(url, {"level": world.level("Novice").pk, "lower": "on"},
                           headers={"HX-Request": "true"})
    assert b">Novice</a>" in response.content
    with world.tenant.scope():
        assert UserSkill.objects.get(user=world.agent).level.name == "Novice"
        assert SkillChange.objects.filter(kind="lowered").count() == 1


def test_full_page_fallback_form_and_redirect(world, login):
    client = login(world.coach)
    url = cell_url(world, world.agent, world.empathy) + f"?team={world.team.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert b"<html" in page.content
    assert b"Empathy for Abe Ames" in page.content
    response = client.post(url, {"level": world.level("Intermediate").pk})
    assert response.status_code == 302
    assert response["Location"] == world.tenant.url(f"skills/?team={world.team.pk}")
    with world.tenant.scope():
        assert UserSkill.objects.get(user=world.agent).level.name == "Intermediate"


def test_cell_edit_permissions(world, login, client):
    level = world.level("Advanced").pk
    # A coach editing an agent outside their teams: 404, nothing changed.
    c = login(world.coach2)
    assert c.post(cell_url(world, world.agent, world.firewall), {"level": level}).status_code \
        == 404
    client.logout()
    # An agent: 403.
    c = login(world.agent)
    assert c.post(cell_url(world, world.agent, world.firewall), {"level": level}).status_code \
        == 403
    client.logout()
    # Another tenant's member, on tenant A's address and on their own: 404.
    c = login(world.outsider)
    assert c.post(cell_url(world, world.agent, world.firewall), {"level": level}).status_code \
        == 404
    assert c.post(cell_url(world, world.agent, world.other_skill, org=world.other),
                  {"level": level}).status_code == 404
    client.logout()
    # A level of another tenant's scale: refused as an invalid choice.
    c = login(world.skill_admin)
    response = c.post(cell_url(world, world.agent3, world.firewall),
                      {"level": world.other_levels[2].pk}, headers={"HX-Request": "true"})
    assert "Select a valid choice" in response.content.decode()
    with world.tenant.scope():
        assert not UserSkill.objects.exists()
    # The skill admin edits anyone.
    response = c.post(cell_url(world, world.agent3, world.firewall), {"level": level})
    assert response.status_code == 302
    with world.tenant.scope():
        assert UserSkill.objects.get().user == world.agent3


def test_matrix_page_has_no_inline_script_or_style(world, login):
    response = login(world.skill_admin).get(world.tenant.url("skills/"))
    html = response.content.decode()
    assert " style=" not in html
    assert "<script>" not in html
