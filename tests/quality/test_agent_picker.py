"""The interactions list's agent filter is a type-ahead box (issue 22.3: the select offered
every agent the analyst may audit, 521 options at 500 agents): ``?agent=<id>`` links, labels,
usernames and words find the agent among those the user may audit (a coach: their teams'
agents); suggestions from the same page; the pager keeps it; constant queries."""

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled

from tenancy.models import User

from .conftest import T0, make_interaction, make_scorecard


@pytest.fixture
def items(world):
    make_scorecard(world.tenant.org)
    with scopes_disabled():
        for user, first, last in ((world.agent, "Alice", "Lee"), (world.agent2, "Bob", "Lee"),
                                  (world.agent3, "Dora", "Lee")):
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)
    for n, agent in enumerate((world.agent, world.agent2, world.agent3, world.agent)):
        make_interaction(world.tenant.org, agent=agent, external_id=f"C-{n}",
                         opened_at=T0 + timedelta(hours=n))
    return world


def _url(world):
    return world.tenant.url("quality/interactions/")


def _ids(response):
    assert response.status_code == 200
    return [i.external_id for i in response.context["page"].object_list]


def test_interactions_agent_box_and_old_links(items, login):
    client = login(items.qa)
    html = client.get(_url(items)).content.decode()
    assert '<select name="agent"' not in html
    assert ('<input type="search" name="agent" autocomplete="off" '
            'class="form-control form-control-sm" hx-get="?suggest=agent" '
            'hx-push-url="false" hx-swap="innerHTML" '
            'hx-sync="this:replace" hx-target="#id_agent-people" '
            'hx-trigger="focus once, input changed delay:250ms" id="id_agent" '
            'list="id_agent-people" placeholder="All agents" spellcheck="false">'
            '<datalist id="id_agent-people"></datalist>') in html
    response = client.get(_url(items), {"agent": items.agent.pk})
    assert _ids(response) == ["C-3", "C-0"]
    assert 'value="Alice Lee (alice)"' in response.content.decode()
    for typed in ("Alice Lee (alice)", "alice", "alice lee"):
        assert _ids(client.get(_url(items), {"agent": typed})) == ["C-3", "C-0"], typed
    assert _ids(client.get(_url(items), {"agent": "dora"})) == ["C-2"]


def test_interactions_agent_box_offers_only_agents_the_user_may_audit(items, login):
    client = login(items.coach)  # coaches Alice and Bob, not Dora
    assert client.get(_url(items), {"suggest": "agent", "agent": "lee"}).content.decode() == (
        '<option value="Alice Lee (alice)"></option><option value="Bob Lee (bob)"></option>')
    for refused in ("dora", str(items.agent3.pk), "olga", str(items.outsider.pk)):
        response = client.get(_url(items), {"agent": refused})
        assert response.context["form"].errors["agent"] == [
            f"Nobody you may choose here matches “{refused}”."], refused
        assert _ids(response) == ["C-3", "C-1", "C-0"]
    ambiguous = client.get(_url(items), {"agent": "lee"})
    assert ambiguous.context["form"].errors["agent"] == [
        "2 people match “lee”: Alice Lee (alice), Bob Lee (bob). Type more of the name, or "
        "the username."]
    assert login(items.qa).get(_url(items), {"suggest": "agent", "agent": "lee"}) \
        .content.decode().count("<option") == 3


def test_interactions_agent_suggestions_permission_matrix(items, client, login):
    params = {"suggest": "agent", "agent": "a"}
    assert login(items.qa).get(_url(items), params).status_code == 200
    client.logout()
    assert login(items.agent).get(_url(items), params).status_code == 403
    client.logout()
    assert login(items.outsider).get(_url(items), params).status_code == 404


def test_interactions_pager_keeps_the_agent(items, login):
    for i in range(50):
        make_interaction(items.tenant.org, agent=items.agent, external_id=f"P-{i:02d}",
                         opened_at=T0 - timedelta(days=1, minutes=i))
    client = login(items.qa)
    response = client.get(_url(items), {"agent": "alice"})
    assert 'href="?agent=alice&page=2"' in response.content.decode()
    assert _ids(client.get(_url(items), {"agent": "alice", "page": 2})) == ["P-48", "P-49"]


def test_interactions_queries_do_not_grow_with_agents(items, login,
                                                      django_assert_num_queries):
    client = login(items.qa)
    client.get(_url(items))
    cases = ({}, {"agent": items.agent.pk}, {"agent": "alice"})
    counts = []
    for params in cases:
        with django_assert_num_queries(99, exact=False) as captured:
            client.get(_url(items), params)
        counts.append(len(captured.captured_queries))
    for i in range(30):
        items.tenant.member(roles=["agent"], username=f"zed{i:02d}")
    for params, count in zip(cases, counts, strict=True):
        with django_assert_num_queries(count):
            client.get(_url(items), params)
