"""Browser test: an org admin adds two people to a team with the people picker — one picked
from the suggestions (the script ticks them into the list), one typed and resolved on save —
and removes one with the keyboard.

Headless Debian Chromium through Playwright (never ``playwright install``); skipped, saying
why, without a Chromium binary. Headless Chromium shows no datalist popup, so the pick is
what the browser does when a suggestion is chosen: the box takes the option's value and
fires ``input``.
"""

from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from tenancy.models import Team, User
from tests.factories import PASSWORD, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/screens")


def test_browser_admin_picks_types_and_unticks_team_members(live_server, tenant_a, tenant_b,
                                                            browser):
    from playwright.sync_api import expect

    world = make_world(tenant=tenant_a, other=tenant_b, admin="ada", coach="carl",
                       agent="abe", agent2="amy", agent3="ana", outsider="bob",
                       team="Service Desk", team_members=["agent"])
    with scopes_disabled():
        for user, first, last in ((world.agent, "Abe", "Ames"), (world.agent2, "Amy", "Ames"),
                                  (world.agent3, "Ana", "Ortiz"),
                                  (world.outsider, "Amy", "Outsider")):
            User.objects.filter(pk=user.pk).update(first_name=first, last_name=last)

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/o/alpha/teams/{world.team.pk}/edit/")

    chosen = page.locator("#id_members-chosen")
    expect(chosen.get_by_role("checkbox")).to_have_count(1)
    expect(chosen.get_by_label("Abe Ames (abe)")).to_be_checked()

    # Typing asks the page for suggestions; only this tenant's people are offered.
    box = page.get_by_label("Members")
    box.press_sequentially("amy", delay=30)
    options = page.locator("#id_members-people option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", "Amy Ames (amy)")
    expect(options.first).to_have_attribute("data-id", str(world.agent2.pk))
    box.evaluate("(box) => { box.value = 'Amy Ames (amy)';"
                 " box.dispatchEvent(new Event('input', {bubbles: true})); }")
    expect(chosen.get_by_label("Amy Ames (amy)")).to_be_checked()
    expect(box).to_have_value("")
    expect(options).to_have_count(0)

    # Unticked with the keyboard: Abe leaves the team.
    chosen.get_by_label("Abe Ames (abe)").focus()
    page.keyboard.press("Space")
    expect(chosen.get_by_label("Abe Ames (abe)")).not_to_be_checked()

    # Typed and not picked: resolved when the form is saved.
    box.fill("ortiz")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "team-people-picker.png"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Save team").click()

    with tenant_a.scope():
        team = Team.objects.get(pk=world.team.pk)
        assert sorted(u.username for u in team.members.all()) == ["amy", "ana"]
    context.close()
