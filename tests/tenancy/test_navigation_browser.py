"""Browser test: the grouped workspace navigation fits a 1440 px screen for a member holding
every role, and its dropdown menus work with the keyboard."""

from pathlib import Path

import pytest

from tenancy.enums import Role
from tests.test_browser import _sign_in_with_keyboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/screens")


def test_browser_navigation_of_every_role_fits_1440_and_opens_with_keyboard(
    live_server, tenant_a, browser
):
    from playwright.sync_api import expect

    tenant_a.member(roles=[r.value for r in Role], username="olga", first_name="Olga",
                    last_name="Everyrole")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "olga")
    # The coaching overview comes first: where a coach lands.
    assert page.url == f"{live_server.url}/o/alpha/coaching/"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    nav = page.get_by_role("navigation", name="Main")
    tops = nav.locator("#mainnav > ul.me-auto > li > .nav-link")
    expect(tops).to_have_text(
        ["Coaching (current section)", "Quality", "Skills", "Learning", "Work", "Surveys",
         "Organization", "Me"]
    )
    for name in ("Settings", "Teams", "Leaderboard", "Audit queue"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_hidden()
    expect(nav.get_by_role("button", name="olga")).to_be_in_viewport()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "navigation-every-role-1440.png"))

    # Keyboard: focus the Quality menu, open it with Enter, walk down with the arrows.
    quality = nav.get_by_role("button", name="Quality")
    quality.focus()
    page.keyboard.press("Enter")
    expect(quality).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(nav.get_by_role("link", name="Audit queue")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(nav.get_by_role("link", name="Leaderboard")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality leaderboard")
    quality = nav.get_by_role("button", name="Quality")
    expect(quality).to_contain_text("(current section)")
    expect(nav.get_by_role("button", name="Coaching")).to_have_text("Coaching")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    quality.click()
    expect(nav.get_by_role("link", name="Leaderboard")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Escape")
    expect(quality).to_have_attribute("aria-expanded", "false")
    context.close()
