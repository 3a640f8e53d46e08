"""Browser test: a QA analyst opens the Disputes queue (overdue first), opens the overdue
round, and decides it with the keyboard only; the queue then lists it as decided."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import Dispute, Evaluation
from quality.services.answers import AnswerInput
from quality.services.audits import start_audit, submit_audit
from quality.services.disputes import DisputedAttribute, raise_dispute
from tests.factories import Tenant
from tests.test_browser import SCREENSHOTS, _sign_in_with_keyboard

from .conftest import T0, make_interaction, make_scorecard, turn_disputes_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    tenant = Tenant(slug="acme")
    qa = tenant.member(roles=["qa_analyst"], username="quinn", first_name="Quinn",
                       last_name="Analyst")
    agents = [tenant.member(roles=["agent"], username=name, first_name=name.title(),
                            last_name="Agent") for name in ("alice", "bruno")]
    org = tenant.org
    card = make_scorecard(org)
    turn_disputes_on(org, sla_hours=48)
    now = timezone.now()
    for n, (agent, external_id, hours_ago) in enumerate(
            ((agents[0], "CHAT-104", 2), (agents[1], "CHAT-221", 53))):
        item = make_interaction(org, agent=agent, external_id=external_id, turns=[
            ("agent", "Thank you for calling, this is Alice."),
            ("customer", "My invoice charges me twice and nobody answers my e-mails."),
            ("agent", "I am sorry about that, I understand how annoying it is."),
            ("customer", "Thanks."),
            ("agent", "Fixed. Anything else I can do?"),
        ], opened_at=T0 + timedelta(hours=n))
        with scopes_disabled():
            evaluation = start_audit(interaction=item, evaluator=qa)
            evaluation = submit_audit(evaluation=evaluation, actor=qa, answers=[
                AnswerInput(a.key, "no" if a.key == "empathy" else "yes",
                            comment="No apology heard." if a.key == "empathy" else "")
                for a in card.attributes.all()])
            dispute = raise_dispute(evaluation=evaluation, agent=agent, items=[
                DisputedAttribute("empathy", "I apologised in turn 3: “I am sorry about "
                                  "that”.", "yes")])
            Dispute.objects.filter(pk=dispute.pk).update(
                raised_at=now - timedelta(hours=hours_ago),
                due_at=now - timedelta(hours=hours_ago) + timedelta(hours=48))
    return tenant


def test_browser_reviewer_decides_a_dispute_with_the_keyboard(live_server, desk, browser):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "quinn")
    page.goto(f"{live_server.url}/o/acme/quality/disputes/review/")
    rows = page.locator("#dispute-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("CHAT-221")
    expect(rows.nth(0)).to_contain_text(re.compile(r"overdue by [56] h"))
    expect(rows.nth(1)).to_contain_text(re.compile(r"4[56] h left"))
    page.screenshot(path=str(SCREENSHOTS / "dispute-queue.png"), full_page=True)

    page.get_by_role("link", name="CHAT-221").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CHAT-221")
    page.screenshot(path=str(SCREENSHOTS / "dispute-decide.png"), full_page=True)

    # Keyboard only: the first radio of the group, arrow to "Change to Yes", the comment.
    page.locator("#decision-empathy-upheld").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#decision-empathy-yes")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#comment-empathy")).to_be_focused()
    page.keyboard.type("Right: the apology is in turn 3.")
    page.keyboard.press("Tab")
    expect(page.locator("#decide-submit")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert").or_(page.locator(".alert-success")).first).to_contain_text(
        "the total went from 80 to 100")
    expect(page.locator("#dispute-queue tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Recently decided").click()
    expect(page.locator("#dispute-queue tbody tr").first).to_contain_text("80 → 100")
    expect(page.locator("#dispute-queue tbody tr").first).to_contain_text("Empathy: No → Yes")
    page.screenshot(path=str(SCREENSHOTS / "dispute-decided-tab.png"), full_page=True)
    page.get_by_role("link", name="CHAT-221").click()
    expect(page.locator("#decide-form")).to_have_count(0)
    expect(page.locator("#dispute-total")).to_have_text("80 → 100")
    page.screenshot(path=str(SCREENSHOTS / "dispute-decided.png"), full_page=True)
    with scopes_disabled():
        evaluation = Evaluation.objects.get(interaction__external_id="CHAT-221")
    assert evaluation.total == 100.0
    context.close()
