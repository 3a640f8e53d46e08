"""Browser test: a QA analyst lands on their audit queue, audits an interaction with the
keyboard only, watches the total follow the answers, submits, and sees the audit released."""

from datetime import timedelta

import pytest
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import AuditAssignment
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tests.factories import Tenant
from tests.test_browser import SCREENSHOTS, _sign_in_with_keyboard

from .conftest import T0, make_interaction, make_scorecard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db):
    tenant = Tenant(slug="acme")
    qa = tenant.member(roles=["qa_analyst"], username="quinn", first_name="Quinn",
                       last_name="Analyst")
    agent = tenant.member(roles=["agent"], username="alice", first_name="Alice",
                          last_name="Agent")
    org = tenant.org
    card = make_scorecard(org)
    item = make_interaction(org, agent=agent, external_id="C-1", turns=[
        ("agent", "Thank you for calling, this is Alice."),
        ("customer", "My invoice charges me twice."),
        ("agent", "Let me look at the invoice."),
        ("customer", "Thanks."),
        ("agent", "Fixed. Anything else I can do?"),
    ], opened_at=T0 + timedelta(hours=2))
    with scopes_disabled():
        auto = open_evaluation(interaction=item, scorecard=card, kind=EvaluationKind.AUTO,
                               scorer="rules:1")
        save_answers(evaluation=auto, actor=None, log_each=False, answers=[
            AnswerInput("greeting", "yes", evidence=[0]),
            AnswerInput("empathy", "no"),
            AnswerInput("compliance", "yes"),
            AnswerInput("product-knowledge", "na"),
            AnswerInput("communication", "yes"),
            AnswerInput("etiquette", "yes", evidence=[4]),
        ])
        auto.publish()
        start_counting(auto, actor=None, action="scored")
        AuditAssignment.objects.create(organization=org, interaction=item, agent=agent,
                                       evaluator=qa, week=T0.date(), reason="Random sample")
    return tenant


def test_browser_qa_analyst_audits_with_the_keyboard(live_server, desk, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "quinn")

    expect(page.get_by_role("heading", level=1)).to_have_text("My audit queue")
    assert page.url == f"{live_server.url}/o/acme/quality/audits/"
    page.get_by_role("button", name="Audit C-1").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Audit of chat C-1")
    greeting = page.locator("#attr-greeting")
    expect(greeting).to_be_focused()
    expect(page.locator("#turn-0")).to_have_class("turn turn-agent evidence")
    expect(greeting.get_by_text("unverified")).to_be_visible()
    total = page.locator("#audit-total")
    expect(total).to_have_text("—")

    page.keyboard.press("y")  # greeting: yes, then on to empathy
    expect(total).to_have_text("100")
    expect(page.locator("#attr-empathy")).to_be_focused()
    page.keyboard.press("n")  # empathy: no → 10 of 30
    expect(total).to_have_text("33.33")
    for key in ("y", "y", "y"):  # compliance, product knowledge, communication
        page.keyboard.press(key)
    expect(page.locator("#attr-etiquette")).to_be_focused()
    expect(page.locator("#turn-4")).to_have_class("turn turn-agent evidence")
    page.keyboard.press("k")  # back to communication, answer it N/A instead
    expect(page.locator("#attr-communication")).to_be_focused()
    page.keyboard.press("a")
    page.keyboard.press("y")  # etiquette
    # 10 + 0 + 20 + 20 + 15 of 85 (communication N/A)
    expect(total).to_have_text("76.47")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "quality-audit-screen.png"), full_page=True)

    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_contain_text("Audit submitted.")
    assert page.url.startswith(f"{live_server.url}/o/acme/quality/evaluations/")
    expect(page.locator("#evaluation-state")).to_have_text("Released")
    expect(page.locator("#evaluation-total")).to_have_text("76.47")
    expect(page.locator("#history")).to_contain_text("Communication")
    page.screenshot(path=str(SCREENSHOTS / "quality-audit-released.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Quality").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit queue").click()
    expect(page.get_by_text("Nothing waiting for you.")).to_be_visible()
    context.close()
