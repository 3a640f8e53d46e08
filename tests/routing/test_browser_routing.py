"""The issue's "Done when" in the browser: the API finds nobody qualified for an item that
needs VPN; the agent completes a VPN course in the browser; the same API call now ranks
them first; the coach sees them first under "Suggested agents" and assigns the item."""

import pytest
from django_scopes import scopes_disabled

from learning.enums import ContentSource
from learning.services import assign_course, save_course_item
from tests.factories import PASSWORD
from tests.work.conftest import ApiClient, make_token
from work.models import WorkItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEM = {"external_id": "INC1", "kind": "incident", "team": "Desk",
        "skills": [{"name": "VPN", "minimum_level": 2}]}


def sign_in(browser, base_url, username):
    context = browser.new_context(viewport={"width": 1440, "height": 860})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return context, page


def test_browser_learning_completion_makes_the_agent_first_for_the_next_route(
    live_server, rw, browser, client
):
    from playwright.sync_api import expect

    rw.push(ITEM)
    with rw.tenant.scope():
        course = save_course_item(organization=rw.tenant.org, title="VPN basics",
                                  source=ContentSource.FREE_FORM, body="<p>Tunnels.</p>",
                                  days_to_complete=5,
                                  skills=[(rw.vpn, rw.levels["Intermediate"])])
        task = assign_course(course_item=course, assignee=rw.agents["dan"],
                             assigned_by=rw.coach, notify=False)
        item_pk = WorkItem.objects.get(external_id="INC1").pk
    api = ApiClient(client=client, token=make_token(tenant=rw.tenant))
    before = api.post("work-items/INC1/route").json()["candidates"]
    assert not any(c["qualified"] for c in before)

    base = live_server.url
    context, page = sign_in(browser, base, "dan")
    page.goto(f"{base}/o/alpha/learning/tasks/{task.pk}/")
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_role("alert")).to_contain_text("Skills added to your profile: VPN")
    context.close()

    after = api.post("work-items/INC1/route").json()["candidates"]
    assert (after[0]["agent"], after[0]["score"], after[0]["qualified"]) == ("dan", 0.0, True)

    context, page = sign_in(browser, base, "coach")
    page.goto(f"{base}/o/alpha/work/{item_pk}/")
    panel = page.locator("#suggested-agents")
    expect(panel.locator("li.list-group-item").first).to_contain_text("qualified")
    panel.get_by_role("button", name="Assign to dan").click()
    expect(page.get_by_role("alert")).to_contain_text("INC1 assigned to dan.")
    expect(panel).to_contain_text("Chosen by coach: dan")
    context.close()
    with scopes_disabled():
        assert WorkItem.objects.get(pk=item_pk).assigned_to.username == "dan"
