"""The skill matrix's person filter is a type-ahead box (issue 22.3: the select offered every
agent, 521 options at 500 agents). ``?user=<id>`` links still filter; a suggestion's label,
a username or words finding one person of the matrix's team filter; suggestions come from
the same page and the team chosen. Where peers are pseudonyms (tenancy.pseudonyms), the box
speaks as the page does: its value, suggestions and the text it accepts are the labels the
viewer sees, never a hidden name or username. Constant queries as agents are added."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from tenancy.pseudonyms import pseudonym
from tests.skills.test_matrix import _populate


def rows(response):
    assert response.status_code == 200
    return [row.label for row in response.context["m"].rows]


def _pseudonymise(world):
    org = world.tenant.org
    org.settings = {**(org.settings or {}), "privacy": {"pseudonymise_peers": True}}
    with scopes_disabled():
        org.save(update_fields=["settings"])


def _suggested(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)"></option>', response.content.decode())


def test_person_filter_is_a_search_box_and_old_links_still_filter(world, login):
    client = login(world.skill_admin)
    url = world.tenant.url("skills/")
    html = client.get(url).content.decode()
    assert '<select name="user"' not in html
    assert ('<input type="search" name="user" autocomplete="off" '
            'class="form-control form-control-sm" hx-get="?suggest=user" '
            'hx-include="closest form" hx-push-url="false" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-target="#id_user-people" '
            'hx-trigger="focus once, input changed delay:250ms" id="id_user" '
            'list="id_user-people" placeholder="Everyone" spellcheck="false">'
            '<datalist id="id_user-people"></datalist>') in html
    response = client.get(url, {"user": world.agent2.pk})  # an older link
    assert rows(response) == ["Amy Adler"]
    assert 'value="Amy Adler (amy)"' in response.content.decode()
    # with the other filters and the team
    response = client.get(url, {"team": world.team.pk, "user": world.agent.pk,
                                "category": "Infrastructure"})
    assert rows(response) == ["Abe Ames"]
    assert [s.name for s in response.context["m"].skills] == ["Firewall", "Networking",
                                                               "Router"]


def test_person_filter_takes_labels_usernames_and_words(world, login):
    client = login(world.skill_admin)
    url = world.tenant.url("skills/")
    for typed, expected in (("Amy Adler (amy)", ["Amy Adler"]), ("ann", ["Ann Arden"]),
                            ("abe ames", ["Abe Ames"]), ("adler", ["Amy Adler"])):
        assert rows(client.get(url, {"user": typed})) == expected, typed
    # several or nobody: the error beside the box, the matrix unfiltered
    response = client.get(url, {"user": "am"})
    assert rows(response) == ["Abe Ames", "Amy Adler", "Ann Arden"]
    assert ("<li>2 people match “am”: Abe Ames (abe), Amy Adler (amy). Type more of the "
            "name, or the username.</li>") in response.content.decode()
    response = client.get(url, {"user": "bob"})  # the other tenant's
    assert rows(response) == ["Abe Ames", "Amy Adler", "Ann Arden"]
    assert "<li>Nobody you may choose here matches “bob”.</li>" in response.content.decode()
    # another tenant's id is nobody here either
    assert rows(client.get(url, {"user": world.outsider.pk})) == ["Abe Ames", "Amy Adler",
                                                                   "Ann Arden"]


def test_suggestions_are_the_team_chosen_and_the_tenant_only(world, login):
    client = login(world.skill_admin)
    url = world.tenant.url("skills/")
    assert _suggested(client, url, suggest="user", user="a") == [
        "Abe Ames (abe)", "Amy Adler (amy)", "Ann Arden (ann)"]
    assert _suggested(client, url, suggest="user", user="a", team=world.team2.pk) == [
        "Ann Arden (ann)"]
    assert _suggested(client, url, suggest="user", user="bob") == []
    coach = login(world.coach)  # their team only
    assert _suggested(coach, url, suggest="user", user="a") == [
        "Abe Ames (abe)", "Amy Adler (amy)"]
    assert rows(coach.get(url, {"user": world.agent3.pk})) == ["Abe Ames", "Amy Adler"]


def test_person_filter_permission_matrix(world, login, client):
    url = world.tenant.url("skills/")
    params = {"suggest": "user", "user": "a"}
    for who, status in ((world.coach, 200), (world.skill_admin, 200), (world.admin, 200),
                        (world.agent, 403), (world.outsider, 404)):
        assert login(who).get(url, params).status_code == status, who.username
        assert login(who).get(url, {"user": world.agent.pk}).status_code == status
        client.logout()


def test_pseudonyms_only_in_the_box_and_its_suggestions(world, login):
    _pseudonymise(world)
    org = world.tenant.org
    names = {u.pk: pseudonym(org.pk, u.pk) for u in (world.agent, world.agent2, world.agent3)}
    client = login(world.skill_admin)  # coaches none of them: every one is a pseudonym
    url = world.tenant.url("skills/")
    shown = sorted(names.values(), key=str.casefold)
    assert rows(client.get(url)) == shown
    assert _suggested(client, url, suggest="user", user="agent") == shown
    # hidden names and usernames find nobody and say nothing
    for typed in ("amy", "Adler", "Amy Adler (amy)", "ann arden"):
        assert _suggested(client, url, suggest="user", user=typed) == [], typed
        response = client.get(url, {"user": typed})
        assert rows(response) == shown, typed
        html = response.content.decode()
        assert f"<li>Nobody you may choose here matches “{typed}”.</li>" in html
        html = html.replace(typed, "")  # what they typed is shown back to them
        for hidden in ("Adler", "Arden", "Ames", "(amy)", "(abe)", "(ann)"):
            assert hidden not in html, (typed, hidden)
    # the label shown, a part of it, and an older link's id filter
    amy = names[world.agent2.pk]
    for typed in (amy, amy.lower(), amy.split()[1][:5], world.agent2.pk):
        response = client.get(url, {"user": typed})
        assert rows(response) == [amy], typed
        html = response.content.decode()
        assert f'value="{typed if isinstance(typed, str) else amy}"' in html  # as typed
        assert "Adler" not in html and "(amy)" not in html
    # ambiguous: the labels shown
    response = client.get(url, {"user": "agent"})
    assert (f"<li>3 people match “agent”: {', '.join(shown)}. Type more of the name, or the "
            "username.</li>") in response.content.decode()


def test_pseudonyms_a_coach_sees_their_team_by_name(world, login):
    _pseudonymise(world)
    client = login(world.coach)
    url = world.tenant.url("skills/")
    assert _suggested(client, url, suggest="user", user="a") == ["Abe Ames", "Amy Adler"]
    assert rows(client.get(url, {"user": "Amy Adler"})) == ["Amy Adler"]
    assert rows(client.get(url, {"user": "amy"})) == ["Amy Adler"]  # their username


def test_person_filter_queries_constant_as_agents_are_added(world, login,
                                                             django_assert_num_queries):
    client = login(world.skill_admin)
    url = world.tenant.url("skills/")
    client.get(url)  # the first request of a session also saves the current organization
    counts = []
    for added in (0, 30):
        if added:
            _populate(world.tenant.org, added, 1)
        for params in ({"user": world.agent2.pk}, {"user": "amy"},
                       {"suggest": "user", "user": "a"}):
            with CaptureQueriesContext(connection) as captured:
                client.get(url, params)
            counts.append(len(captured))
    # 15 unfiltered (tests/skills/test_matrix.py) and one to find a typed username (an id
    # is looked up among the people the matrix loads anyway); a suggestion: session, user,
    # organization, membership (x3), teams, people, levels, categories
    assert counts == [16, 16, 10, 16, 16, 10]
    _pseudonymise(world)
    with django_assert_num_queries(16):  # and who is shown by name (tenancy.pseudonyms)
        response = client.get(url, {"user": world.agent2.pk})
    assert rows(response) == [pseudonym(world.tenant.org.pk, world.agent2.pk)]
