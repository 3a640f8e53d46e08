"""The work-item page's extension point: panels registered by apps above work."""

from django.utils.html import format_html

from work.extensions import work_item_panels
from work.services import upsert_work_item


def test_registered_item_panel_is_rendered_and_an_empty_one_is_skipped(tenant_a, login):
    admin = tenant_a.member(roles=["org_admin"])
    with tenant_a.scope():
        item = upsert_work_item(organization=tenant_a.org,
                                data={"external_id": "INC9", "kind": "incident"})
    work_item_panels.register("test.hello", lambda request, item: format_html(
        '<div id="hello">Hello {}</div>', item.external_id))
    work_item_panels.register("test.nothing", lambda request, item: None)
    try:
        page = login(admin).get(tenant_a.url(f"work/{item.pk}/")).content.decode()
    finally:
        work_item_panels.unregister("test.hello")
        work_item_panels.unregister("test.nothing")
    assert '<div id="hello">Hello INC9</div>' in page
