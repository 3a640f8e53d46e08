"""Browser test: with disputes on, an agent finds a released audit under My coaching's Review
tabs, disputes one attribute with the keyboard, sees the linked coaching assignment pending
the supervisor's review, and after the reviewer's change accepts the outcome and finds it
under Resolved. With SHOTS_DIR set, the pages are kept as screenshots."""

import os
from pathlib import Path

import pytest
from django_scopes import scopes_disabled

from coaching.services.assignments import create_assignment_from_evaluation
from quality.models import Dispute
from quality.services.disputes import Decision, decide_dispute
from tests.coaching.assignment_fixtures import follow_up
from tests.factories import Tenant
from tests.test_browser import _sign_in_with_keyboard

from .conftest import make_scorecard, released_audit, turn_disputes_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    if folder := os.environ.get("SHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.fixture
def desk(transactional_db):
    from tests.quality.conftest import QualityWorld

    tenant = Tenant(slug="acme")
    qa = tenant.member(roles=["qa_analyst"], username="quinn", first_name="Quinn",
                       last_name="Analyst")
    agent = tenant.member(roles=["agent"], username="alice", first_name="Alice",
                          last_name="Agent")
    world = QualityWorld(tenant=tenant, agent=agent, qa=qa)
    make_scorecard(tenant.org)
    turn_disputes_on(tenant.org)
    audit = released_audit(world, external_id="CHAT-7")
    with tenant.scope():
        create_assignment_from_evaluation(
            evaluation=audit, assigner=qa, name="Empathy coaching", area_keys=["empathy"],
            follow_up_date=follow_up())
    return world, audit


def test_browser_agent_disputes_with_the_keyboard(live_server, desk, browser):
    from playwright.sync_api import expect

    world, audit = desk
    base = live_server.url
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    _sign_in_with_keyboard(page, base, "alice")

    expect(page.get_by_role("heading", level=1)).to_have_text("My coaching")
    review = page.locator("#review")
    expect(review.locator("#review-rows tbody tr")).to_have_count(1)
    expect(review.locator("#review-rows")).to_contain_text("Pending agent review")
    _shot(page, "agent-review-pending")
    review.get_by_role("link", name="CHAT-7").click()

    expect(page.locator("#review-state")).to_have_text("Pending agent review")
    page.locator("#review-dispute-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#dispute-greeting-check")).to_be_focused()
    expect(page.locator("#reason-empathy")).to_be_hidden()
    page.keyboard.press("Tab")  # to Empathy's box
    expect(page.locator("#dispute-empathy-check")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#reason-empathy")).to_be_focused()
    page.locator("#review-dispute-submit").click()  # no reason yet: refused, nothing sent
    expect(page.locator("#dispute-empathy-error")).to_have_text("Say why you dispute “Empathy”.")
    expect(page.locator("#review-state")).to_have_text("Pending agent review")
    expect(page.locator("#dispute-empathy-check")).to_be_checked()
    _shot(page, "agent-dispute-error")
    page.locator("#reason-empathy").focus()
    page.keyboard.type("I apologised in my second turn.")
    page.keyboard.press("Tab")
    expect(page.locator("#proposed-empathy")).to_be_focused()
    page.locator("#proposed-empathy").select_option("yes")
    _shot(page, "agent-dispute-form")
    page.locator("#review-dispute-submit").click()

    expect(page.get_by_role("alert").first).to_contain_text("Dispute sent: 1 attribute")
    expect(page.locator("#review-state")).to_have_text("Pending supervisor review")
    expect(page.locator("#round-1")).to_contain_text("I apologised in my second turn.")
    _shot(page, "agent-dispute-sent")

    page.goto(f"{base}/o/acme/coaching/me/assignments/")
    expect(page.locator("[data-assignment-status]")).to_have_text("Pending supervisor review")
    _shot(page, "agent-assignments")

    with scopes_disabled():
        dispute = Dispute.objects.get(evaluation=audit)
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Right: the apology is in turn 2.", "yes")])

    page.goto(f"{base}/o/acme/me/?review=disputes#review")
    expect(page.locator("#review-rows tbody tr")).to_have_count(1)
    expect(page.locator("#review-rows tbody tr")).to_contain_text("100")
    _shot(page, "agent-review-disputes")
    page.get_by_role("link", name="CHAT-7").click()
    expect(page.locator("#evaluation-total")).to_have_text("100")
    expect(page.locator("#round-1")).to_contain_text("Right: the apology is in turn 2.")
    _shot(page, "agent-re-evaluated")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept the outcome").click()
    expect(page.locator("#review-state")).to_have_text("Resolved")

    page.goto(f"{base}/o/acme/me/?review=resolved#review")
    row = page.locator("#review-rows tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Resolved")
    _shot(page, "agent-review-resolved")
