"""Browser test: an org admin invites someone, who creates their account from the link.

Headless Debian Chromium through Playwright (never ``playwright install``); skipped, saying
why, without a Chromium binary.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django_scopes import scopes_disabled

from tenancy.models import Membership
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp/screens")


def test_browser_admin_invites_and_the_invitee_joins_from_the_link(live_server, tenant_a,
                                                                   browser):
    from playwright.sync_api import expect

    tenant_a.member(roles=["org_admin"], username="ada", first_name="Ada", last_name="Quinn")
    tenant_a.member(roles=["agent"], username="abe", first_name="Abe", last_name="Ames")
    mail.outbox.clear()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/o/alpha/settings/members/")

    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#id_email_error")).to_have_text("This field is required.")
    page.get_by_label("E-mail address").fill("zoe@example.com")
    page.get_by_label("Agent").check()
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Invitation sent to zoe@example.com. They join Alpha when they accept it."
    )
    invitations = page.get_by_test_id("invitations")
    expect(invitations.get_by_role("cell", name="zoe@example.com", exact=True)).to_be_visible()
    expect(invitations.get_by_role("button", name="Withdraw invitation of zoe@example.com"))\
        .to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "members-pending-invitation.png"), full_page=True)
    context.close()
    with scopes_disabled():
        assert not Membership.objects.filter(user__email="zoe@example.com").exists()

    (message,) = mail.outbox
    (link,) = [w for w in message.body.split() if w.startswith(settings.SITE_URL)]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + link.removeprefix(settings.SITE_URL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Alpha")
    expect(page.get_by_role("link", name="Sign in to accept")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "invitation-accept.png"), full_page=True)
    page.get_by_label("Username").fill("zoe")
    page.get_by_label("First name").fill("Zoe")
    page.get_by_label("Password", exact=True).fill("a-long-passphrase-9")
    page.get_by_label("Password again").fill("a-long-passphrase-9")
    with page.expect_navigation(url=f"{live_server.url}/o/alpha/me/"):
        page.get_by_role("button", name="Create account and join").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My coaching")
    expect(page.get_by_role("alert")).to_contain_text("Welcome to Alpha.")
    context.close()
    with scopes_disabled():
        membership = Membership.objects.get(user__username="zoe")
    assert (membership.organization, membership.roles, membership.user.email) == (
        tenant_a.org, frozenset({"agent"}), "zoe@example.com"
    )
