"""A skill's overview pages its experts (issue 22.3: every holder at the top level was
listed, 28 → 44 rows between the 30- and 500-agent demos): 20 a page by name, the count of
them all in the figure, a pager keeping the other parameters, the same queries however many."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills.enums import Source
from skills.services import award_skill


def _experts(world, count: int, start: int = 0) -> None:
    with world.tenant.scope():
        for i in range(start, start + count):
            user = world.tenant.member(roles=["agent"], username=f"x{i:02d}",
                                       first_name="Xena", last_name=f"{i:02d}")
            award_skill(user=user, skill=world.firewall, level=world.level("Expert"),
                        source=Source.MANUAL)


def _url(world, query=""):
    return world.tenant.url(f"skills/catalogue/{world.firewall.pk}/{query}")


def test_overview_experts_come_in_pages_by_name(world, login):
    _experts(world, 23)
    client = login(world.coach)
    first = client.get(_url(world, "?period=0"))
    o = first.context["o"]
    assert [e.user.username for e in o.experts] == [f"x{i:02d}" for i in range(20)]
    assert o.experts.paginator.count == 23
    html = first.content.decode()
    assert '<div class="stat-value">23</div><div class="stat-label">experts (Expert)' in html
    assert 'href="?period=0&amp;experts=2#experts"' in html
    second = client.get(_url(world, "?period=0&experts=2"))
    assert [e.user.username for e in second.context["o"].experts] == ["x20", "x21", "x22"]
    assert 'href="?period=0&amp;experts=1#experts"' in second.content.decode()
    # past the end: the last page
    assert [e.user.username for e in client.get(_url(world, "?experts=9"))
            .context["o"].experts] == ["x20", "x21", "x22"]


def test_overview_experts_page_permission_matrix(world, login, client):
    _experts(world, 1)
    url = _url(world, "?experts=2")
    assert login(world.coach).get(url).status_code == 200
    client.logout()
    assert login(world.agent).get(url).status_code == 403
    client.logout()
    assert login(world.outsider).get(url).status_code == 404


def test_overview_queries_do_not_grow_with_experts(world, login, django_assert_num_queries):
    _experts(world, 2)
    client = login(world.coach)
    client.get(_url(world))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(world))
    _experts(world, 30, start=2)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(_url(world, "?experts=2"))
    assert len(response.context["o"].experts) == 12
