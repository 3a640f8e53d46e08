"""Team performance lists, per behaviour, the weakest agents and the outliers
(views_behaviours.BREAKOUT_ROWS), and all of them for the behaviour asked for
(?behaviour=<key>, opened), with a link that keeps the filters (issue 22.3: a 500-agent team
rendered 20 × 500 rows). Same queries either way."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coaching import views_behaviours

from .assignment_fixtures import aw_fixture  # noqa: F401
from .test_behaviours_pages import bw_fixture  # noqa: F401


def _agents_in(html: str, key: str) -> int:
    block = html.split(f'id="behaviour-{key}"')[1].split("</details>")[0]
    return block.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")


def test_breakout_shows_the_weakest_then_all_on_request(bw, client, monkeypatch):
    monkeypatch.setattr(views_behaviours, "BREAKOUT_ROWS", 1)
    client.force_login(bw.coach)
    url = bw.tenant.url("coaching/behaviours/")
    client.get(url)  # warm up the session
    with CaptureQueriesContext(connection) as short:
        page = client.get(url, {"period": 30})
    html = page.content.decode()
    assert _agents_in(html, "empathy") == 1  # alice (25), the weakest; bob hidden
    assert "The 1 weakest and the outliers of 2 agents." in html
    assert 'href="?period=30&amp;behaviour=empathy#behaviour-empathy"' in html
    with CaptureQueriesContext(connection) as full:
        opened = client.get(url, {"period": 30, "behaviour": "empathy"})
    html = opened.content.decode()
    assert _agents_in(html, "empathy") == 2
    assert 'id="behaviour-empathy" open' in html
    assert len(full.captured_queries) == len(short.captured_queries)


def test_breakout_of_another_tenant_is_not_found(bw, client, tenant_b):
    outsider = tenant_b.member(roles=["org_admin"], username="bob-b")
    client.force_login(outsider)
    response = client.get(bw.tenant.url("coaching/behaviours/"), {"behaviour": "empathy"})
    assert response.status_code == 404
