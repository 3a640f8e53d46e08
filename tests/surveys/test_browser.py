"""Browser: a coach and a trainee each answer a dispatched survey; the score shows, and
coach effectiveness counts the trainee's answer. Screenshots go to /tmp/screens/."""

from pathlib import Path

import pytest

from surveys.enums import Audience, QuestionKind
from surveys.services import dispatch_survey, save_question, save_template
from tests.factories import PASSWORD
from tests.surveys.conftest import build_coach_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = Path("/tmp/screens")


def _sign_in(browser, base_url, username):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    # The username field has autofocus; wait for it, a busy machine may take a moment.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return context, page


def _shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"surveys_{name}.png"), full_page=True)


def test_browser_coach_and_trainee_answer_surveys_and_effectiveness_counts_it(
    browser, live_server, tenant_a
):
    from playwright.sync_api import expect

    admin = tenant_a.member(roles=["org_admin"], username="ada", first_name="Ada",
                            last_name="Quinn")
    coach = tenant_a.member(roles=["coach"], username="carla", first_name="Carla",
                            last_name="Coach")
    agent = tenant_a.member(roles=["agent"], username="arno", first_name="Arno", last_name="Agent")
    tenant_a.team(name="Service Desk", manager=coach, members=[agent])
    with tenant_a.scope():
        coach_survey = build_coach_survey(organization=tenant_a.org,
                                          name="Coaching review").template
        trainee_survey = save_template(
            organization=tenant_a.org, name="How was your coaching?",
            audience=Audience.TRAINEE_ABOUT_COACH,
            description="Tell us how the session went; your coach sees only averages.")
        save_question(template=trainee_survey, text="How useful was the session?",
                      kind=QuestionKind.RATING, scale_min=1, scale_max=5,
                      min_label="Not useful", max_label="Very useful", weight=2)
        save_question(template=trainee_survey, text="Did your coach explain clearly?",
                      kind=QuestionKind.YES_NO)
        save_question(template=trainee_survey, text="Anything your coach could do better?",
                      kind=QuestionKind.TEXT, required=False)
        for template, respondent, subject in ((coach_survey, coach, agent),
                                              (trainee_survey, agent, coach)):
            dispatch_survey(template=template, respondent=respondent, subject=subject,
                            opportunity_label="Reopened incidents",
                            context_label="INC0042 · reopened twice")

    # The coach finds the survey under Surveys and answers it; a missing answer is refused.
    context, page = _sign_in(browser, live_server.url, "carla")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Surveys", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Surveys")
    _shot(page, "to_take_coach")
    page.get_by_role("link", name="Coaching review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching review")
    page.get_by_role("group", name="1. Diagnosis quality").get_by_text("4", exact=True).click()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("2 answers need attention; nothing was saved.")).to_be_visible()
    expect(page.get_by_role("group", name="2. Followed the procedure?")).to_contain_text(
        "Answer this question; it is required.")
    _shot(page, "take_errors")
    page.get_by_role("group", name="2. Followed the procedure?").get_by_label("Yes").check()
    page.get_by_role("group", name="3. Work notes").get_by_label("Partly").check()
    page.get_by_label("4. What next?").fill("Practise the VPN checklist.")
    page.get_by_role("button", name="Submit answers").click()
    # (2×75 + 100 + 40) / 4
    expect(page.get_by_test_id("survey-score")).to_contain_text("72.5")
    _shot(page, "take_completed")
    context.close()

    # The trainee answers theirs in the agent workspace, with the keyboard for the scale.
    context, page = _sign_in(browser, live_server.url, "arno")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My surveys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My surveys")
    _shot(page, "my_surveys_agent")
    page.get_by_role("link", name="How was your coaching?").click()
    scale = page.get_by_role("group", name="1. How useful was the session?")
    scale.get_by_text("1", exact=True).click()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # radio group: 1 → 4
    page.get_by_role("group", name="2. Did your coach explain clearly?").get_by_label(
        "Yes").check()
    _shot(page, "take_form")
    page.get_by_role("button", name="Submit answers").click()
    # (2×75 + 100) / 3
    expect(page.get_by_test_id("survey-score")).to_contain_text("83.3")
    context.close()

    # Coach effectiveness counts the trainee's answer for Carla.
    context, page = _sign_in(browser, live_server.url, "ada")
    page.goto(f"{live_server.url}/o/alpha/surveys/effectiveness/")
    row = page.locator("#per-coach tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("Carla Coach")
    # One trainee answer counts (n = 1), but an anonymous average is shown only from
    # three responses on.
    expect(row.first.locator("td").nth(1)).to_have_text("too few responses to show (n < 3)")
    expect(row.first.locator("td").nth(2)).to_have_text("1")
    expect(page.locator("#per-opportunity tbody tr").first).to_contain_text("Reopened incidents")
    _shot(page, "effectiveness")

    # The builder: reorder with the keyboard, then look at the preview and the results.
    page.goto(f"{live_server.url}/o/alpha/surveys/templates/")
    _shot(page, "template_list")
    page.get_by_role("link", name="How was your coaching?", exact=True).click()
    down = page.get_by_role("button", name="Move question 1 down")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".question-list li").first).to_contain_text(
        "Did your coach explain clearly?")
    expect(page.get_by_role("button", name="Move question 2 down")).to_be_focused()
    page.get_by_label("Type").select_option("choice")
    expect(page.get_by_label("Options")).to_be_visible()
    expect(page.get_by_label("Lowest value", exact=True)).to_be_hidden()
    _shot(page, "builder")
    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page.get_by_text("Answers given here are not saved.")).to_be_visible()
    _shot(page, "preview")
    page.goto(f"{live_server.url}/o/alpha/surveys/templates/{coach_survey.pk}/results/")
    expect(page.get_by_test_id("average-score")).to_have_text("72.5")
    _shot(page, "results")
    page.goto(f"{live_server.url}/o/alpha/surveys/settings/")
    _shot(page, "settings")
    context.close()
    assert admin.pk
