"""The coaching monitor in the browser: a QA analyst switches between the two date
filters (their defaults follow), searches the agents' list, applies through htmx, turns
Compare on and opens an assignment's progress panel."""

from datetime import timedelta

import pytest

from tests.test_browser import _sign_in_with_keyboard

from .assignment_fixtures import build_world
from .test_monitor import _assign, _audit, _today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bw(transactional_db):
    world = build_world()
    today = _today(world)
    for agent in (world.agent, world.agent2):
        for days, yes in ((10, False), (9, False), (3, True), (2, True)):
            _audit(world, agent, today - timedelta(days=days), yes)
    world.alice = _assign(world, world.agent)
    world.bob = _assign(world, world.agent2)
    return world


def test_browser_monitor_filters_compare_and_progress(live_server, bw, browser):
    from playwright.sync_api import expect

    base = live_server.url
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    _sign_in_with_keyboard(page, base, "quinn")
    page.goto(f"{base}/o/acme/coaching/monitor/")
    rows = page.get_by_role("table", name="Coaching assignments in the monitor").locator(
        "tbody tr")
    expect(rows).to_have_count(2)
    today, week_ago = _today(bw), (_today(bw) - timedelta(days=6)).isoformat()
    expect(page.get_by_label("From", exact=True)).to_have_value(week_ago)

    # the other date filter, with its default
    page.get_by_label("Follow-up date", exact=True).check()
    expect(page.get_by_label("From", exact=True)).to_have_value(today.isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(today.isoformat())
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No coaching assignments match.")).to_be_visible()
    assert "date_field=follow_up" in page.url  # pushed: the filtered page can be reloaded

    page.get_by_label("Assigned date", exact=True).check()
    expect(page.get_by_label("From", exact=True)).to_have_value(week_ago)
    agents = page.get_by_role("listbox", name="Agents")
    page.get_by_label("Search agents").fill("ali")
    expect(agents.get_by_role("option", name="Bob")).to_be_hidden()
    agents.select_option(label="Alice")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Alice")

    page.get_by_label("Compare", exact=True).check()  # applies at once
    expect(rows.first.locator('[data-compare="spike"]').first).to_be_visible()
    rows.first.get_by_role("link", name="Progress of alice").click()
    expect(page.get_by_role("heading", name="Agent progress: Alice — Coaching alice")
           ).to_be_visible()
    expect(page.get_by_role("table", name="Agent progress per coached attribute")
           ).to_contain_text("Empathy")
