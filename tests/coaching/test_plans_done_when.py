"""Issue 18's done-when, in a browser: a manager opens the create-plan page of their top
agent's weakest behaviour, refreshes the advice once, gives it a thumbs up, edits it, sets
85 % by a date and sends it; the e-mail (locmem) holds a direct link; the agent follows it
(signing in) and the plan reads Working on it; with the clock moved past the target date
the beat's service decides Improvement for that plan (the scores reached 85 over the plan
period) and Action required for a plan with too little data. Screenshots of every plan
page go to /tmp/screens."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import AdviceFeedback, CoachingPlan
from coaching.services.plans import create_plan, evaluate_due_plans, send_plan
from quality.enums import EvaluationKind
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tests.factories import PASSWORD
from tests.quality.conftest import make_interaction
from tests.test_browser import SCREENSHOTS, _sign_in_with_keyboard

from .assignment_fixtures import ALL_YES, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAILED_EMPATHY = {**ALL_YES, "empathy": "no"}


def _audit(world, agent, *, answers=ALL_YES, days_ago=0):
    """A submitted audit by quinn of a new interaction of ``agent`` ``days_ago`` days ago."""
    world._n += 1
    item = make_interaction(world.tenant.org, agent=agent, external_id=f"DW-{world._n}",
                            queue="Billing", turns=[("agent", "Hello, how can I help?"),
                                                    ("customer", "My bill is wrong")],
                            opened_at=timezone.now() - timedelta(days=days_ago, minutes=1))
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=world.card,
                                     kind=EvaluationKind.MANUAL, evaluator=world.qa)
        save_answers(evaluation=evaluation, actor=world.qa, require_complete=True,
                     answers=[AnswerInput(k, v) for k, v in answers.items()])
        evaluation.submit()
        start_counting(evaluation, actor=world.qa, action="submitted")
    return evaluation


@pytest.fixture
def desk(transactional_db):
    """Three weeks ago alice failed Empathy in four audits and passed it in one; bob passed
    everything."""
    world = build_world()
    for answers in (FAILED_EMPATHY, FAILED_EMPATHY, ALL_YES, FAILED_EMPATHY, FAILED_EMPATHY):
        _audit(world, world.agent, answers=answers, days_ago=21)
    _audit(world, world.agent2, days_ago=21)
    return world


def test_plans_done_when(live_server, desk, browser):
    from playwright.sync_api import expect

    world, org = desk, desk.tenant.org
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "carl")

    try:  # the BEHAVIOURS engineer's page, when it is there
        required = reverse("coaching:behaviours_required", kwargs={"org_slug": "acme"})
    except NoReverseMatch:
        required = None
    if required:
        page.goto(f"{live_server.url}{required}")
        top = page.get_by_role("table").get_by_role("row").nth(1)
        expect(top).to_contain_text("Alice")
        with page.expect_navigation():
            top.get_by_role("link").first.click()
        with page.expect_navigation():
            page.get_by_role("link", name="Create a plan").first.click()
    else:
        page.goto(f"{live_server.url}/o/acme/coaching/plans/new/"
                  f"?agent={world.agent.pk}&attribute=empathy")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching plan: Empathy")
    block = page.locator("#advice-block")
    first = block.get_attribute("data-variant")
    page.get_by_test_id("plan-examples").get_by_role("checkbox").first.wait_for()
    expect(page.get_by_test_id("plan-examples").get_by_role("checkbox").first).to_be_checked()
    page.screenshot(path=str(SCREENSHOTS / "plans-create.png"), full_page=True)

    page.get_by_test_id("advice-refresh").click()
    expect(page.locator("#advice-block")).not_to_have_attribute("data-variant", first)
    variant = page.locator("#advice-block").get_attribute("data-variant")
    page.get_by_test_id("advice-thumbs-up").click()
    expect(page.get_by_test_id("advice-feedback-done")).to_have_text(re.compile("Thumbs up"))

    advice = page.get_by_label("Advice", exact=True)
    advice.fill(advice.input_value() + "\n\nLet's review two calls together on Friday.")
    page.get_by_label("Target score (%)").fill("85")
    target_date = timezone.localdate() + timedelta(days=14)
    page.get_by_label("Target date").fill(target_date.isoformat())
    with page.expect_navigation():
        page.get_by_test_id("plan-send").click()
    expect(page.get_by_test_id("plan-status")).to_contain_text("Shared")
    expect(page.get_by_test_id("plan-target")).to_contain_text("85 %")
    page.screenshot(path=str(SCREENSHOTS / "plans-detail-manager.png"), full_page=True)

    with scopes_disabled():
        plan = CoachingPlan.objects.get(agent=world.agent)
        vote = AdviceFeedback.objects.get()
    assert (plan.status, plan.target_percent, plan.target_date) == ("shared", 85, target_date)
    assert plan.advice.endswith("Let's review two calls together on Friday.")
    assert (vote.variant_key, vote.vote) == (variant, 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.com"]
    link = re.search(r"https?://\S+/o/acme/coaching/plans/\d+/", mail.outbox[0].body).group()
    assert link.endswith(f"/o/acme/coaching/plans/{plan.pk}/")

    page.goto(f"{live_server.url}/o/acme/coaching/agents/{world.agent.pk}/sessions/")
    expect(page.get_by_test_id("sessions-table")).to_contain_text("Empathy")
    page.screenshot(path=str(SCREENSHOTS / "plans-sessions.png"), full_page=True)
    context.close()

    # The agent follows the e-mail's link (to this live server), signs in, lands on it.
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    path = link.split("/o/acme/", 1)[1]
    page.goto(f"{live_server.url}/o/acme/{path}")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/o/acme/coaching/plans/{plan.pk}/"
    expect(page.get_by_test_id("plan-status")).to_contain_text("Working on it")
    page.screenshot(path=str(SCREENSHOTS / "plans-detail-agent.png"), full_page=True)
    page.goto(f"{live_server.url}/o/acme/me/")
    expect(page.get_by_test_id("plan-list")).to_contain_text("Empathy")
    page.screenshot(path=str(SCREENSHOTS / "plans-my-coaching.png"), full_page=True)
    context.close()
    with scopes_disabled():
        plan.refresh_from_db()
    assert plan.status == "working"

    # During the plan alice passes Empathy in ten audits (the tenant's minimum); bob gets a
    # plan on Greeting with no audit in its period.
    for _ in range(10):
        _audit(world, world.agent)
    with world.tenant.scope():
        bobs = send_plan(plan=create_plan(
            organization=org, manager=world.coach, agent=world.agent2, attribute_key="greeting",
            advice="Open with your name.", target_percent=85, target_date=target_date,
            example_ids=[]), actor=world.coach)
        evaluate_due_plans(organization=org, today=target_date + timedelta(days=1))
    with scopes_disabled():
        plan.refresh_from_db()
        bobs.refresh_from_db()
    assert plan.status == "improvement"
    assert plan.outcome_n == 10 and plan.outcome_score == pytest.approx(100.0)
    assert bobs.status == "action_required"
    assert "too little data" in bobs.outcome_note

    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "carl")
    page.goto(f"{live_server.url}/o/acme/coaching/plans/{plan.pk}/")
    expect(page.get_by_test_id("plan-status")).to_contain_text("Improvement")
    expect(page.get_by_test_id("plan-outcome")).to_contain_text("100.0 % (n = 10)")
    page.screenshot(path=str(SCREENSHOTS / "plans-detail-improvement.png"), full_page=True)
    page.goto(f"{live_server.url}/o/acme/coaching/agents/{world.agent2.pk}/sessions/")
    expect(page.get_by_test_id("sessions-table")).to_contain_text(
        re.compile("too little data", re.IGNORECASE))
    context.close()
