"""Peers shown as pseudonyms on team-level pages (issue 21.6): the setting, who sees whom by
name, the same pseudonym on every page, no name left in the HTML, constant queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import ScoreRollup
from tenancy.pseudonyms import PeerNames, pseudonym, pseudonymises_peers
from tests.factories import Tenant
from tests.quality.conftest import make_scorecard
from tests.routing.conftest import rw  # noqa: F401  (the routing world, a fixture)

PSEUDONYM = re.compile(r"Agent [A-Z2-7]{6}")
THREE = [
    ("greeting", "Opening", "Greeting", 10, False, None),
    ("empathy", "Conversation", "Empathy", 30, False, None),
    ("knowledge", "Conversation", "Product knowledge", 20, False, None),
]


class Cast:
    """acme: an org admin; Carla coaches Blue (Ada, Bruno and Quinn, an agent who is also a
    QA analyst); Rafael coaches Red (Cyra); Sam is a skill admin. beta: Olga, every role."""

    def __init__(self):
        self.acme = Tenant(slug="acme")
        self.beta = Tenant(slug="beta")
        m = self.acme.member
        self.admin = m(roles=["org_admin"], username="admin", first_name="Adminia",
                       last_name="Root")
        self.coach = m(roles=["coach"], username="carla", first_name="Carla",
                       last_name="Coachwright")
        self.coach2 = m(roles=["coach"], username="rafael", first_name="Rafael",
                        last_name="Redmanager")
        self.skill_admin = m(roles=["skill_admin"], username="sam", first_name="Sam",
                             last_name="Skillsworth")
        self.ada = m(username="ada", first_name="Ada", last_name="Lovelock")
        self.bruno = m(username="bruno", first_name="Bruno", last_name="Kowalczyk")
        self.quinn = m(roles=["agent", "qa_analyst"], username="quinn", first_name="Quinn",
                       last_name="Analystova")
        self.cyra = m(username="cyra", first_name="Cyra", last_name="Mendelssohn")
        self.blue = self.acme.team(name="Blue", manager=self.coach,
                                   members=[self.ada, self.bruno, self.quinn])
        self.red = self.acme.team(name="Red", manager=self.coach2, members=[self.cyra])
        self.olga = self.beta.member(roles=["org_admin", "coach", "qa_analyst", "agent"],
                                     username="olga", first_name="Olga", last_name="Outside")
        self.acme.org.settings = {"quality": {"min_reviews": 2}}
        with scopes_disabled():
            self.acme.org.save(update_fields=["settings"])
        self.card = make_scorecard(self.acme.org, attributes=THREE)
        for score, agent in enumerate([self.ada, self.bruno, self.quinn, self.cyra]):
            self.scores(agent, 60 + 10 * score)

    def scores(self, agent, value):
        org = self.acme.org
        day = timezone.localdate(timezone=org.tzinfo) - timedelta(days=1)
        with scopes_disabled():
            ScoreRollup.objects.create(
                organization=org, agent=agent, day=day, kind="auto",
                scorecard_key=self.card.key, attribute_key="", scorer="rule:1", n=2,
                total=2 * value, total_sq=2 * value * value)

    def pseudonymise(self, on=True):
        org = self.acme.org
        org.settings = {**(org.settings or {}), "privacy": {"pseudonymise_peers": on}}
        with scopes_disabled():
            org.save(update_fields=["settings"])

    def alias(self, user) -> str:
        return pseudonym(self.acme.org.pk, user.pk)


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def names_absent(html: str, *people) -> None:
    for person in people:
        for text in (person.first_name, person.last_name, person.username):
            assert text not in html, f"{text!r} shows"


# --- the pseudonym --------------------------------------------------------------------


def test_pseudonym_is_stable_per_tenant_and_person_and_not_the_name(cast):
    first = pseudonym(cast.acme.org.pk, cast.ada.pk)
    assert PSEUDONYM.fullmatch(first)
    assert pseudonym(cast.acme.org.pk, cast.ada.pk) == first
    assert pseudonym(cast.beta.org.pk, cast.ada.pk) != first
    assert pseudonym(cast.acme.org.pk, cast.bruno.pk) != first


def test_pseudonym_changes_with_the_secret_key(cast, settings):
    before = pseudonym(cast.acme.org.pk, cast.ada.pk)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert pseudonym(cast.acme.org.pk, cast.ada.pk) != before


def test_setting_is_off_by_default(cast):
    assert pseudonymises_peers(cast.acme.org) is False
    cast.pseudonymise()
    assert pseudonymises_peers(cast.acme.org) is True


def test_who_sees_whom_by_name(cast):
    cast.pseudonymise()
    people = [cast.ada, cast.bruno, cast.quinn, cast.cyra, cast.coach, cast.coach2,
              cast.skill_admin, cast.admin]
    org = cast.acme.org
    with cast.acme.scope():
        named = {viewer.username: sorted(p.username for p in people
                                          if PeerNames(org, viewer).is_named(p))
                 for viewer in [cast.ada, cast.quinn, cast.coach, cast.skill_admin,
                                cast.admin]}
    managers = ["carla", "rafael"]
    assert named == {
        "ada": sorted(["ada", *managers]),
        "quinn": sorted(["quinn", *managers]),
        "carla": sorted(["ada", "bruno", "quinn", *managers]),  # her team, and herself
        "sam": sorted(["sam", *managers]),
        "admin": sorted(p.username for p in people),
    }


def test_a_manager_who_lost_the_coach_role_sees_pseudonyms(cast):
    cast.pseudonymise()
    with scopes_disabled():
        membership = cast.coach.memberships.get(organization=cast.acme.org)
        membership.is_coach = False
        membership.is_org_admin = False
        membership.save()
    with cast.acme.scope():
        names = PeerNames(cast.acme.org, cast.coach)
        assert names.label(cast.ada) == cast.alias(cast.ada)


# --- the leaderboard --------------------------------------------------------------------


LEADERBOARD = "/o/acme/quality/leaderboard/"


def test_leaderboard_agent_sees_peers_as_pseudonyms_and_themselves_by_name(cast, client):
    cast.pseudonymise()
    html = page(client, cast.quinn, LEADERBOARD)
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    # best automatic score first: Cyra 90, Quinn 80, Bruno 70, Ada 60
    assert rows == [cast.alias(cast.cyra), "Quinn Analystova", cast.alias(cast.bruno),
                    cast.alias(cast.ada)]
    names_absent(html, cast.ada, cast.bruno, cast.cyra)


def test_leaderboard_coach_sees_their_team_by_name(cast, client):
    cast.pseudonymise()
    html = page(client, cast.coach, LEADERBOARD)
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert rows == ["Quinn Analystova", "Bruno Kowalczyk", "Ada Lovelock"]
    assert not PSEUDONYM.search(html)


def test_leaderboard_org_admin_sees_names(cast, client):
    cast.pseudonymise()
    html = page(client, cast.admin, LEADERBOARD)
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert rows == ["Cyra Mendelssohn", "Quinn Analystova", "Bruno Kowalczyk", "Ada Lovelock"]


def test_leaderboard_with_the_setting_off_shows_names(cast, client):
    html = page(client, cast.quinn, LEADERBOARD)
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert rows == ["Cyra Mendelssohn", "Quinn Analystova", "Bruno Kowalczyk", "Ada Lovelock"]
    assert not PSEUDONYM.search(html)


def test_leaderboard_ties_are_ordered_by_pseudonym_not_by_the_hidden_names(cast, client):
    """Agents with too few reviews share a rank: ordered by name they would tell anyone
    who knows the team who is who."""
    cast.pseudonymise()
    extra = [cast.acme.member(username=f"tie{i}", first_name=f"Tie{i}", last_name="Same")
             for i in range(6)]
    with scopes_disabled():
        from tenancy.models import TeamMember
        for user in extra:
            TeamMember.objects.create(organization=cast.acme.org, team=cast.red, user=user)
    html = page(client, cast.quinn, LEADERBOARD + f"?team={cast.red.pk}")
    rows = re.findall(r'<th scope="row">([^<]*)</th>', html)
    assert rows[0] == cast.alias(cast.cyra)
    assert rows[1:] == sorted(cast.alias(u) for u in extra)


def test_leaderboard_queries_stay_constant_with_pseudonyms(cast, client):
    cast.pseudonymise()
    client.force_login(cast.quinn)
    client.get(LEADERBOARD)  # warm the per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LEADERBOARD).status_code == 200
        return len(queries)

    four = count()
    for index in range(8):
        cast.scores(cast.acme.member(username=f"more{index}"), 50 + index)
    assert count() == four


# --- the same pseudonym on another page; team pages ---------------------------------------


def test_team_page_shows_the_same_pseudonym_as_the_leaderboard(cast, client):
    cast.pseudonymise()
    board = page(client, cast.quinn, LEADERBOARD)
    team = page(client, cast.quinn, f"/o/acme/teams/{cast.red.pk}/")
    alias = cast.alias(cast.cyra)
    assert alias in board
    assert f'<li class="list-group-item">{alias}</li>' in team
    names_absent(team, cast.cyra)
    assert "Rafael Redmanager" in team  # managers keep their names


def test_team_page_lists_own_team_with_own_name_and_peers_pseudonymised(cast, client):
    cast.pseudonymise()
    html = page(client, cast.quinn, f"/o/acme/teams/{cast.blue.pk}/")
    members = re.findall(r'<li class="list-group-item">(.*?)</li>', html)
    assert members == sorted([cast.alias(cast.ada), cast.alias(cast.bruno),
                              "Quinn Analystova <span class=\"text-body-secondary\">(quinn)"
                              "</span>"], key=lambda s: s.casefold())
    names_absent(html, cast.ada, cast.bruno)


def test_team_page_coach_and_setting_off_show_names(cast, client):
    html = page(client, cast.coach, f"/o/acme/teams/{cast.red.pk}/")
    assert "Cyra Mendelssohn" in html
    cast.pseudonymise()
    assert "Cyra Mendelssohn" not in page(client, cast.coach, f"/o/acme/teams/{cast.red.pk}/")
    assert "Cyra Mendelssohn" in page(client, cast.coach2, f"/o/acme/teams/{cast.red.pk}/")


def test_team_page_queries_stay_constant_as_members_grow(cast, client):
    cast.pseudonymise()
    client.force_login(cast.quinn)
    url = f"/o/acme/teams/{cast.red.pk}/"
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    one = count()
    with scopes_disabled():
        from tenancy.models import TeamMember
        for index in range(6):
            TeamMember.objects.create(organization=cast.acme.org, team=cast.red,
                                      user=cast.acme.member(username=f"red{index}"))
    assert count() == one


# --- the behaviours directory: links and search -------------------------------------------


DIRECTORY = "/o/acme/coaching/behaviours/agents/"


def test_directory_links_only_named_agents_and_search_never_matches_a_hidden_name(cast, client):
    cast.pseudonymise()
    html = page(client, cast.quinn, DIRECTORY)
    names_absent(html, cast.ada, cast.bruno, cast.cyra)
    assert cast.alias(cast.cyra) in html
    assert f"/behaviours/agents/{cast.cyra.pk}/" not in html
    assert f"/behaviours/agents/{cast.quinn.pk}/" in html
    assert "No agent matches." in page(client, cast.quinn, DIRECTORY + "?q=Mendelssohn")
    found = page(client, cast.quinn, DIRECTORY + "?q=" + cast.alias(cast.cyra)[-6:].lower())
    assert cast.alias(cast.cyra) in found
    assert cast.alias(cast.ada) not in found


def test_directory_coach_finds_their_agents_by_name(cast, client):
    cast.pseudonymise()
    html = page(client, cast.coach, DIRECTORY + "?q=Lovelock")
    assert "Ada Lovelock" in html
    assert f"/behaviours/agents/{cast.ada.pk}/" in html


# --- skills: the matrix and a skill's holders -----------------------------------------------


def _skill_held_by_everyone(cast):
    from skills.models import Skill, SkillLevel, UserSkill

    org = cast.acme.org
    with scopes_disabled():
        level = SkillLevel.objects.create(organization=org, name="Expert", rank=1)
        skill = Skill.objects.create(organization=org, name="Billing")
        for user in (cast.ada, cast.bruno, cast.quinn, cast.cyra):
            UserSkill.objects.create(organization=org, user=user, skill=skill, level=level,
                                     source="manual", acquired_at=timezone.now(),
                                     changed_at=timezone.now())
    return skill


def test_skill_pages_show_holders_as_pseudonyms_to_a_skill_admin(cast, client):
    skill = _skill_held_by_everyone(cast)
    cast.pseudonymise()
    overview = page(client, cast.skill_admin, f"/o/acme/skills/catalogue/{skill.pk}/")
    matrix = page(client, cast.skill_admin, "/o/acme/skills/")
    for html in (overview, matrix):
        names_absent(html, cast.ada, cast.bruno, cast.quinn, cast.cyra)
        assert cast.alias(cast.cyra) in html
    assert f"/skills/people/{cast.cyra.pk}/" not in matrix
    coach = page(client, cast.coach, f"/o/acme/skills/catalogue/{skill.pk}/")
    assert "Ada Lovelock" in coach and cast.alias(cast.cyra) in coach


def test_matrix_cell_editor_names_a_pseudonymised_person_by_pseudonym(cast, client):
    """A skill admin still edits every cell; the editor and its message say the pseudonym."""
    skill = _skill_held_by_everyone(cast)
    cast.pseudonymise()
    url = f"/o/acme/skills/matrix/cell/{cast.cyra.pk}/{skill.pk}/"
    html = page(client, cast.skill_admin, url)
    names_absent(html, cast.cyra)
    assert f"Billing for {cast.alias(cast.cyra)}" in html
    response = client.post(url, {"level": ""}, follow=True)
    names_absent(response.content.decode(), cast.cyra)


# --- the setting on the Settings page -------------------------------------------------------


SETTINGS = "/o/acme/settings/"
FORM = {"name": "Acme", "timezone": "UTC"}


def test_settings_page_explains_and_saves_the_setting_keeping_other_privacy_keys(cast, client):
    org = cast.acme.org
    org.settings = {"privacy": {"retention": {"transcripts": 90}}, "teams": {"x": 1}}
    with scopes_disabled():
        org.save(update_fields=["settings"])
    html = page(client, cast.admin, SETTINGS)
    assert "Show peers as pseudonyms on team pages" in html
    assert "their coaches and organization admins" in html
    response = client.post(SETTINGS, {**FORM, "pseudonymise_peers": "on"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.settings["privacy"] == {"retention": {"transcripts": 90},
                                       "pseudonymise_peers": True}
    assert client.get(SETTINGS).context["form"].initial["pseudonymise_peers"] is True
    client.post(SETTINGS, FORM)
    org.refresh_from_db()
    assert org.settings["privacy"]["pseudonymise_peers"] is False


@pytest.mark.parametrize("who", ["coach", "quinn", "ada", "skill_admin"])
def test_settings_other_roles_get_403_and_change_nothing(cast, client, who):
    client.force_login(getattr(cast, who))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {**FORM, "pseudonymise_peers": "on"}).status_code == 403
    cast.acme.org.refresh_from_db()
    assert pseudonymises_peers(cast.acme.org) is False


def test_settings_other_tenant_gets_404_and_anonymous_the_login(cast, client):
    response = client.post(SETTINGS, {**FORM, "pseudonymise_peers": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(cast.olga)
    assert client.get(SETTINGS).status_code == 404
    assert client.post(SETTINGS, {**FORM, "pseudonymise_peers": "on"}).status_code == 404
    cast.acme.org.refresh_from_db()
    assert pseudonymises_peers(cast.acme.org) is False


# --- the coaching monitor and the behaviours pages ----------------------------------------


def test_monitor_rows_and_agent_filter_show_peers_as_pseudonyms_to_a_qa_analyst(cast, client):
    from coaching.models import CoachingAssignment

    today = timezone.localdate(timezone=cast.acme.org.tzinfo)
    with scopes_disabled():
        for agent in (cast.ada, cast.cyra):
            CoachingAssignment.objects.create(
                organization=cast.acme.org, name="Empathy refresher", agent=agent,
                assigner=cast.coach2, assigned_date=today, follow_up_date=today)
    cast.pseudonymise()
    html = page(client, cast.quinn, "/o/acme/coaching/monitor/")
    names_absent(html, cast.ada, cast.bruno, cast.cyra)
    assert f"<td>{cast.alias(cast.cyra)}<div" in html
    assert f'<option value="{cast.cyra.pk}">{cast.alias(cast.cyra)}</option>' in html
    coach = page(client, cast.coach, "/o/acme/coaching/monitor/")
    assert "<td>Ada Lovelock<div" in coach


def test_team_performance_and_coaching_required_hide_peers_from_a_qa_analyst(cast, client):
    cast.pseudonymise()
    for path in (f"/o/acme/coaching/behaviours/?team={cast.blue.pk}",
                 "/o/acme/coaching/behaviours/required/"):
        html = page(client, cast.quinn, path)
        names_absent(html, cast.ada, cast.bruno, cast.cyra)
        assert f"/behaviours/agents/{cast.ada.pk}/" not in html
    team = page(client, cast.quinn, f"/o/acme/coaching/behaviours/?team={cast.blue.pk}")
    assert f"<td>{cast.alias(cast.ada)}</td>" in team
    assert f"/behaviours/agents/{cast.quinn.pk}/\">Quinn Analystova</a>" in team


# --- routing's suggested agents -------------------------------------------------------------


def _suggestions(html: str) -> str:
    start = html.index('id="suggested-agents"')
    return html[start:html.index("</ol>", start)]


def test_suggested_agents_are_pseudonyms_for_another_teams_coach(rw, login):  # noqa: F811
    from work.models import WorkItem

    rw.give(username="ben", skill=rw.vpn, level="Advanced")
    rw.push({"external_id": "INC1", "kind": "incident", "team": "Desk",
             "skills": [{"name": "VPN", "minimum_level": 2}]})
    org = rw.tenant.org
    org.settings = {**(org.settings or {}), "privacy": {"pseudonymise_peers": True}}
    with scopes_disabled():
        org.save(update_fields=["settings"])
        item = WorkItem.objects.get(external_id="INC1")
    url = rw.tenant.url(f"work/{item.pk}/")
    card = _suggestions(login(rw.coach2).get(url).content.decode())
    for agent in rw.agents.values():
        assert agent.get_full_name() not in card
        assert pseudonym(org.pk, agent.pk) in card
    assert "Assign to" not in card
    own = _suggestions(login(rw.coach).get(url).content.decode())
    assert rw.agents["ben"].get_full_name() in own and "Assign to ben" in own
