"""The team load pages by agent (issue 22.3): 50 agents a page by team name and username with
the shared pager (a team's heading again on the next page), a team filter kept by the pager,
teams without members named on the last page, the last page for a page number out of range,
the same queries whatever the number of agents."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing import views


def _rows(response):
    return [(row["team"].name, row["user"].username) for row in response.context["rows"]]


def test_team_load_pages_by_agent(rw, login, monkeypatch):
    monkeypatch.setattr(views, "LOAD_PAGE_SIZE", 4)
    zone = rw.tenant.team(name="Zone", members=[
        rw.tenant.member(roles=["agent"], username=f"z{i}") for i in range(2)])
    client = login(rw.admin)
    url = rw.tenant.url("routing/")
    first = client.get(url)
    assert _rows(first) == [("Desk", "ann"), ("Desk", "ben"), ("Desk", "cid"), ("Desk", "dan")]
    html = first.content.decode()
    assert "agents 1–4 of 7" in html and 'href="?page=2" rel="next"' in html
    assert "data-empty-teams" not in html  # named on the last page
    second = client.get(url, {"page": 2})
    assert _rows(second) == [("Desk", "eve"), ("Zone", "z0"), ("Zone", "z1")]
    html = second.content.decode()
    assert "Desk <span class=\"small text-body-secondary\">(continued)</span>" in html
    assert "No members: Network." in html
    assert _rows(client.get(url, {"page": 9})) == _rows(second)
    assert _rows(client.get(url, {"page": "z"})) == _rows(first)
    only_zone = client.get(url, {"team": zone.pk})
    assert _rows(only_zone) == [("Zone", "z0"), ("Zone", "z1")]
    assert f'<option value="{zone.pk}" selected>Zone</option>' in only_zone.content.decode()
    network = client.get(url, {"team": rw.team2.pk}).content.decode()
    assert "No members: Network." in network and "<table" not in network


def test_team_load_filter_offers_only_the_coachs_teams(rw, login):
    rw.tenant.team(name="Zone", members=[rw.tenant.member(roles=["agent"], username="z0")])
    client = login(rw.coach)
    response = client.get(rw.tenant.url("routing/"))
    assert [t.name for t in response.context["teams"]] == ["Desk"]
    assert _rows(response) == [("Desk", n) for n in ("ann", "ben", "cid", "dan", "eve")]
    # another team's id is no filter for this coach: their own teams are shown
    assert _rows(client.get(rw.tenant.url("routing/"), {"team": rw.team2.pk})) == _rows(response)


def test_team_load_queries_do_not_grow_with_agents(rw, login, django_assert_num_queries):
    client = login(rw.admin)
    url = rw.tenant.url("routing/")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    rw.tenant.team(name="Zone", members=[rw.tenant.member(roles=["agent"]) for _ in range(60)])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": 2})
    assert len(response.context["rows"]) == 15  # 65 agents, 50 a page
