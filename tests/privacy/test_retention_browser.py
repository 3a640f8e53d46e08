"""Browser test: an org admin opens Settings ▸ Retention, types a period that is too short
and is told next to the field, previews a valid one (nothing saved), then saves it with the
keyboard; the preview counts the transcript a run today would empty. With SHOTS_DIR set,
the pages are kept as screenshots."""

import os
from pathlib import Path

import pytest

from privacy.retention import retention_policy
from tenancy.models import Organization
from tests.factories import Tenant
from tests.test_browser import _sign_in_with_keyboard

from .retention_fixtures import interaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    if folder := os.environ.get("SHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.fixture
def desk(transactional_db):
    tenant = Tenant(slug="acme")
    tenant.member(roles=["org_admin"], username="ada")
    agent = tenant.member(roles=["agent"], username="alice")
    interaction(tenant.org, agent, "CHAT-OLD", age_days=100)
    interaction(tenant.org, agent, "CHAT-NEW", age_days=5)
    return tenant


def test_browser_admin_sets_a_retention_period(live_server, desk, browser):
    from playwright.sync_api import expect

    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in_with_keyboard(page, base, "ada")
    page.goto(f"{base}/o/acme/settings/")
    with page.expect_navigation():
        page.get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention")
    expect(page.locator("#retention-preview-sentence")).to_have_text(
        "Nothing is removed: no retention period is set.")

    page.get_by_label("Transcripts: keep for (days)").focus()
    page.keyboard.type("7")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits with the first button: Save
    expect(page.locator("#id_transcripts_days_error")).to_contain_text(
        "Transcripts: keep them at least 30 days")
    _shot(page, "retention-error")

    page.get_by_label("Transcripts: keep for (days)").fill("90")
    with page.expect_navigation():
        page.get_by_role("button", name="Preview without saving").click()
    expect(page.locator("#retention-preview-title")).to_have_text(
        "A run today with these values (not saved)")
    expect(page.locator("#retention-preview-sentence")).to_have_text(
        "A run today would remove the text of 1 transcript.")
    assert retention_policy(Organization.objects.get(slug="acme")).is_empty

    page.get_by_role("button", name="Save").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Retention policy saved.")).to_be_visible()
    expect(page.get_by_label("Transcripts: keep for (days)")).to_have_value("90")
    expect(page.locator("#retention-preview-sentence")).to_have_text(
        "A run today would remove the text of 1 transcript.")
    _shot(page, "retention-saved")
    assert retention_policy(Organization.objects.get(slug="acme")).transcripts_days == 90
