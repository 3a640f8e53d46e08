"""The team load pages by team (issue 22.3): five teams a page by name with the shared pager,
the last page for a page number out of range, the same queries at any number of teams."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _names(response):
    return [load.team.name for load in response.context["loads"]]


def test_team_load_pages_by_team(rw, login):
    for i in range(6):  # with Desk and Network: 8 teams
        rw.tenant.team(name=f"Zone {i}", members=[rw.tenant.member(roles=["agent"])])
    client = login(rw.admin)
    url = rw.tenant.url("routing/")
    first = client.get(url)
    assert _names(first) == ["Desk", "Network", "Zone 0", "Zone 1", "Zone 2"]
    html = first.content.decode()
    assert "teams 1–5 of 8" in html and 'href="?page=2" rel="next"' in html
    assert _names(client.get(url, {"page": 2})) == ["Zone 3", "Zone 4", "Zone 5"]
    assert _names(client.get(url, {"page": 9})) == ["Zone 3", "Zone 4", "Zone 5"]
    assert _names(client.get(url, {"page": "z"})) == _names(first)


def test_team_load_queries_do_not_grow_with_teams(rw, login, django_assert_num_queries):
    client = login(rw.admin)
    url = rw.tenant.url("routing/")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(12):
        rw.tenant.team(name=f"Zone {i:02d}", members=[rw.tenant.member(roles=["agent"])])
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": 2})
    assert len(response.context["loads"]) == 5
