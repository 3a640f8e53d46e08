"""The Work list pages (issue 22.3) in the order of index workitem_org_list_order: newest
opened first, undated last, then the newest id; 50 a page, filters kept in the pager's links,
the last page for a page number out of range, and PostgreSQL reads it through that index."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from tenancy import rls
from work import selectors
from work.models import WorkItem


def _items(tenant, count: int, undated: int = 0) -> list[str]:
    """``count`` items opened an hour apart (two at each hour) and ``undated`` without an
    opening time; their external ids in the list's order."""
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with scopes_disabled():
        made = WorkItem.objects.bulk_create(
            [WorkItem(organization=tenant.org, external_id=f"W{i:03d}", kind="incident",
                      state="new" if i % 2 else "resolved",
                      opened_at=start + timedelta(hours=i // 2)) for i in range(count)]
            + [WorkItem(organization=tenant.org, external_id=f"U{i:03d}", kind="call",
                        state="new") for i in range(undated)])
    dated = sorted((i for i in made if i.opened_at), key=lambda i: (i.opened_at, i.pk),
                   reverse=True)
    return [i.external_id for i in dated] + [
        i.external_id for i in sorted((i for i in made if not i.opened_at),
                                      key=lambda i: i.pk, reverse=True)]


def _ids(response):
    return [i.external_id for i in response.context["page"].object_list]


def test_work_list_pages_newest_first_undated_last(login, tenant_a):
    order = _items(tenant_a, 100, undated=20)
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    first = client.get(url)
    assert _ids(first) == order[:50]
    html = first.content.decode()
    assert "work items 1–50 of 120" in html and 'href="?page=2" rel="next"' in html
    assert _ids(client.get(url, {"page": 2})) == order[50:100]
    third = client.get(url, {"page": 3})
    assert _ids(third) == order[100:] and _ids(third)[0] == "U019"


def test_work_list_pager_keeps_the_filters_and_survives_a_bad_page(login, tenant_a):
    order = _items(tenant_a, 140)
    resolved = [x for x in order if int(x[1:]) % 2 == 0]  # 70
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    response = client.get(url, {"state": "resolved", "q": "W"})
    assert 'href="?state=resolved&amp;q=W&amp;page=2" rel="next"' in response.content.decode()
    assert _ids(response) == resolved[:50]
    for page in ("2", "99", "-3"):
        response = client.get(url, {"state": "resolved", "q": "W", "page": page})
        assert response.status_code == 200
        assert _ids(response) == resolved[50:], page
    assert _ids(client.get(url, {"state": "resolved", "page": "two"})) == resolved[:50]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_work_list_query_reads_the_list_order_index(tenant_a):
    _items(tenant_a, 30, undated=5)
    with rls.tenant(tenant_a.org), tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute("ANALYZE work_workitem")
        for filters in ({}, {"state": "resolved"}):
            queryset = selectors.work_items_for_list(tenant_a.org, filters)[:50]
            sql, params = queryset.query.sql_with_params()
            # A small table may be read whole and sorted; what matters is that an index
            # serves this exact ORDER BY when one must.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "workitem_org_list_order" in plan, plan
            assert "Sort" not in plan.replace("Sort Key", ""), plan
