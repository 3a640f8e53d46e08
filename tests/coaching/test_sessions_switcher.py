"""The Coaching sessions page's agent switcher is a type-ahead box (issue 22.3: its select
offered every agent the user may plan for, 513 options for the 500-agent demo's admin):
``?agent=<id>`` links still switch, a label, a username or words finding one agent switch,
suggestions come from the same page and only name agents the user may plan for; constant
queries as agents are added."""

import pytest
from django_scopes import scopes_disabled

from tenancy.models import User

from .assignment_fixtures import aw_fixture  # noqa: F401


@pytest.fixture
def named(aw):
    with scopes_disabled():
        for user, first, last in ((aw.agent, "Alice", "Lee"), (aw.agent2, "Bob", "Lee"),
                                  (aw.agent3, "Dora", "Lee")):
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    return aw


def _url(aw, agent):
    return aw.tenant.url(f"coaching/agents/{agent.pk}/sessions/")


def test_switcher_is_a_search_box_filled_with_the_agent(named, client):
    client.force_login(named.coach)
    html = client.get(_url(named, named.agent2)).content.decode()
    assert ('<input type="search" name="agent" value="Bob Lee (bob)" autocomplete="off" '
            'class="form-control form-control-lg fw-semibold agent-switch" '
            'data-testid="agent-switch" hx-get="?suggest=agent" hx-push-url="false" '
            'hx-swap="innerHTML" hx-sync="this:replace" '
            'hx-target="#agent-switch-people" hx-trigger="focus once, input changed delay:250ms" '
            'id="agent-switch" list="agent-switch-people" placeholder="Another agent" '
            'required spellcheck="false">'
            '<datalist id="agent-switch-people"></datalist>') in html


@pytest.mark.parametrize("typed", ["{pk}", "Alice Lee (alice)", "alice", "alice lee"])
def test_switcher_switches_by_id_label_username_or_words(named, client, typed):
    client.force_login(named.coach)
    response = client.get(_url(named, named.agent2),
                          {"agent": typed.format(pk=named.agent.pk)})
    assert response.status_code == 302
    assert response["Location"] == _url(named, named.agent)


def test_switcher_errors_stay_on_the_page(named, client):
    client.force_login(named.coach)
    response = client.get(_url(named, named.agent2), {"agent": "lee"})
    assert response.status_code == 200
    assert response.context["agent"] == named.agent2
    assert response.context["switch"].errors["agent"] == [
        "2 people match “lee”: Alice Lee (alice), Bob Lee (bob). Type more of the name, or "
        "the username."]
    assert 'value="lee"' in response.content.decode()
    refused = client.get(_url(named, named.agent2), {"agent": "dora"})  # cleo's agent
    assert refused.context["switch"].errors["agent"] == [
        "Nobody you may choose here matches “dora”."]
    # another team's or tenant's id: 404 as before
    assert client.get(_url(named, named.agent2), {"agent": named.agent3.pk}).status_code == 404
    assert client.get(_url(named, named.agent2),
                      {"agent": named.outsider.pk}).status_code == 404


def test_switcher_suggestions_are_the_users_agents(named, client):
    client.force_login(named.coach)
    answer = client.get(_url(named, named.agent2), {"suggest": "agent", "agent": "lee"},
                        headers={"HX-Request": "true"})
    assert answer.content.decode() == ('<option value="Alice Lee (alice)"></option>'
                                       '<option value="Bob Lee (bob)"></option>')
    client.force_login(named.admin)  # every member but themselves
    assert client.get(_url(named, named.agent2), {"suggest": "agent", "agent": "lee"}) \
        .content.decode().count("<option") == 3


def test_switcher_suggestions_permission_matrix(named, client):
    params = {"suggest": "agent", "agent": "lee"}
    for user, status in ((named.coach, 200), (named.coach2, 404), (named.agent, 403),
                         (named.outsider, 404)):
        client.force_login(user)
        assert client.get(_url(named, named.agent2), params).status_code == status, user


def test_sessions_queries_do_not_grow_with_agents(named, client, django_assert_num_queries):
    client.force_login(named.admin)
    url = _url(named, named.agent2)
    client.get(url)
    with django_assert_num_queries(99, exact=False) as captured:
        client.get(url)
    for i in range(30):
        named.tenant.member(roles=["agent"], username=f"zed{i:02d}")
    with django_assert_num_queries(len(captured.captured_queries)):
        client.get(url)
