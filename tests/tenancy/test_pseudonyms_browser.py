"""Browser test (issue 21.6): an org admin turns on "Show peers as pseudonyms" with the
keyboard; an agent who is also a QA analyst then sees their own name and pseudonyms for
their peers on the leaderboard."""

from pathlib import Path

import pytest

from tests.test_browser import _sign_in_with_keyboard

from .test_pseudonyms import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/screens")


def test_browser_admin_turns_pseudonyms_on_and_the_leaderboard_hides_peers(live_server,
                                                                          browser):
    from playwright.sync_api import expect

    cast = Cast()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/o/acme/settings/")
    box = page.get_by_label("Show peers as pseudonyms on team pages")
    expect(box).not_to_be_checked()
    box.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save settings").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Organization settings saved.")).to_be_visible()
    expect(page.get_by_label("Show peers as pseudonyms on team pages")).to_be_checked()
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "quinn")
    page.goto(f"{live_server.url}/o/acme/quality/leaderboard/")
    rows = page.locator("#leaderboard tbody th[scope=row]")
    expect(rows).to_have_text([cast.alias(cast.cyra), "Quinn Analystova",
                               cast.alias(cast.bruno), cast.alias(cast.ada)])
    html = page.content()
    for name in ("Lovelock", "Kowalczyk", "Mendelssohn"):
        assert name not in html
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "leaderboard-pseudonyms.png"), full_page=True)
    context.close()
