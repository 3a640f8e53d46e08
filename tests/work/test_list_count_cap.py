"""The Work list counts at most CountCappedPaginator.COUNT_CAP items (issue 22.3): past it
the page says "N+" and pages up to the cap, so its cost does not grow with history; the
count query stays one and bounded; a tenant's count never includes another's items."""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from work.models import WorkItem
from work.views import CountCappedPaginator


def _items(tenant, count: int) -> None:
    start = datetime(2025, 3, 1, tzinfo=UTC)
    with scopes_disabled():
        WorkItem.objects.bulk_create(
            [WorkItem(organization=tenant.org, external_id=f"C{i:03d}", kind="incident",
                      state="new", opened_at=start + timedelta(hours=i)) for i in range(count)])


def test_work_list_count_is_capped_and_says_so(login, tenant_a, tenant_b, monkeypatch):
    monkeypatch.setattr(CountCappedPaginator, "COUNT_CAP", 60)
    _items(tenant_a, 75)
    _items(tenant_b, 10)
    client = login(tenant_a.member(roles=["coach"]))
    url = tenant_a.url("work/")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    html = response.content.decode()
    assert "60+ work items" in html and "work items 1–50 of 60+" in html
    assert response.context["page"].paginator.num_pages == 2
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 61" in counts[0]
    last = client.get(url, {"page": 2}).context["page"]
    assert (last.start_index(), last.end_index()) == (51, 60)


def test_work_list_count_under_the_cap_is_exact(login, tenant_a, tenant_b):
    _items(tenant_a, 7)
    _items(tenant_b, 3)
    response = login(tenant_a.member(roles=["coach"])).get(tenant_a.url("work/"))
    html = response.content.decode()
    assert "7 work items" in html and "+" not in html.split("work items")[0][-5:]
    assert response.context["page"].paginator.capped is False
