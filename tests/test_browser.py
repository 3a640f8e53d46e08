"""Browser test: sign in through headless Debian Chromium and reach the workspaces.

Chromium comes from the system (``apt install chromium``); ``playwright install`` is never
used. Without a Chromium binary the test is skipped, saying so.
"""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/screens")


@pytest.fixture
def desk(tenant_a):
    """A coach and an agent of one team; created before the browser starts."""
    coach = tenant_a.member(roles=["coach"], username="carla", first_name="Carla",
                            last_name="Coach")
    agent = tenant_a.member(roles=["agent"], username="arno", first_name="Arno", last_name="Agent")
    tenant_a.team(name="Service Desk", manager=coach, members=[agent])
    return tenant_a


def _sign_in_with_keyboard(page, base_url: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/accounts/login/")
    # The username field has autofocus (waited for: a busy machine may take a moment);
    # everything else is done with the keyboard.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_browser_coach_signs_in_and_sees_manager_workspace_agent_sees_my_coaching(
    live_server, desk, browser
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 800})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "carla")

    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching overview")
    assert page.url == f"{live_server.url}/o/alpha/coaching/"
    nav = page.get_by_role("navigation", name="Main")
    coaching_menu = nav.get_by_role("button", name="Coaching")
    expect(coaching_menu).to_have_class("nav-link dropdown-toggle btn btn-link active")
    coaching_menu.click()
    expect(nav.get_by_role("link", name="Overview", exact=True)).to_have_attribute(
        "aria-current", "page")
    page.keyboard.press("Escape")
    nav.get_by_role("button", name="Organization").click()
    nav.get_by_role("link", name="Teams").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    expect(page.get_by_role("link", name="Service Desk")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "foundation-manager-overview.png"), full_page=True)
    context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 800})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "arno")

    expect(page.get_by_role("heading", level=1)).to_have_text("My coaching")
    assert page.url == f"{live_server.url}/o/alpha/me/"
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Teams")).to_have_count(0)
    expect(page.get_by_text("Service Desk", exact=True)).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "foundation-agent-my-coaching.png"), full_page=True)
    context.close()
    assert os.path.getsize(SCREENSHOTS / "foundation-manager-overview.png") > 0
