"""Browser tests (Playwright, Debian's Chromium) of the two "Done when" flows that cross
coaching with learning and surveys. Screenshots go to /tmp/screens/coaching_*.png.

- Issue 7: a coach completes an assessment with a course as training; the agent finds the
  task in My learning with the right due date, completes it, and My skills shows the
  course's skill with source "learning".
- Issue 5: a coach completes a seeded assessment, takes the attached coach survey, and the
  assessment shows the computed rating; the trainee answers their survey in the agent
  workspace and the coach-effectiveness view counts it.
"""

from pathlib import Path

import pytest
from django.utils import timezone

from coaching.models import CoachingAssessment
from learning.due_dates import add_days
from skills.models import Skill
from skills.services import ensure_level_scale
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = Path("/tmp/screens")


def sign_in(browser, base_url, username):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return context, page


def shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"coaching_{name}.png"), full_page=True)


def walk_to_completion(page):
    from playwright.sync_api import expect

    for button, message in (("Start coaching", "Assessment started."),
                            ("Mark resolved", "Assessment resolved."),
                            ("Complete and award", "Assessment completed.")):
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("alert")).to_contain_text(message)


@pytest.fixture
def learning_scene(world):
    """A course on the coached team's catalog granting Firewall at Intermediate, and an
    open manual assessment of the agent (created before the browser starts)."""
    with world.tenant.scope():
        levels = {lv.name: lv for lv in ensure_level_scale(organization=world.tenant.org)}
        firewall = Skill.objects.create(organization=world.tenant.org, name="Firewall")
    world.firewall_course = world.course("Firewall basics", catalog_teams=[world.team], days=5,
                                         skills=[(firewall, levels["Intermediate"])])
    world.course("Not for this team", catalog_teams=[world.team2])
    from coaching import services

    with world.tenant.scope():
        world.assessment = services.open_manual_assessment(
            organization=world.tenant.org, actor=world.coach, trainee=world.agent)
    return world


def test_browser_coach_assigns_training_by_completing_and_agent_gets_the_skill(
        live_server, learning_scene, browser):
    from playwright.sync_api import expect

    world = learning_scene
    base = live_server.url
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    expected_due = add_days(today, 5)

    # The coach chooses the course as training and completes the assessment.
    context, page = sign_in(browser, base, "coach")
    page.goto(f"{base}/o/alpha/coaching/assessments/{world.assessment.pk}/")
    training = page.get_by_role("region", name="Training")
    expect(training.get_by_label("Not for this team")).to_have_count(0)
    training.get_by_label("Firewall basics").check()
    training.get_by_role("button", name="Save training").click()
    expect(page.get_by_role("alert")).to_contain_text("Training saved.")
    walk_to_completion(page)
    tasks = page.locator("#assessment-tasks tbody tr")
    expect(tasks).to_have_count(1)
    expect(tasks.first).to_contain_text("Firewall basics")
    expect(tasks.first.locator("time")).to_have_attribute("datetime", expected_due.isoformat())
    expect(tasks.first).to_contain_text("Assigned")
    shot(page, "assessment_training_done")
    context.close()

    # The agent finds the task in My learning with the right due date and completes it.
    context, page = sign_in(browser, base, "agent")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    card = page.locator(".task-card", has_text="Firewall basics")
    expect(card.locator("time")).to_have_attribute("datetime", expected_due.isoformat())
    shot(page, "my_learning")
    card.get_by_role("link", name="Open Firewall basics").click()
    page.get_by_role("button", name="Mark started").click()
    expect(page.get_by_role("alert")).to_contain_text("started")
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_role("alert")).to_contain_text("Skills added to your profile: Firewall.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My skills").click()
    row = page.locator("#held-skills tr", has_text="Firewall")
    expect(row).to_contain_text("Intermediate")
    expect(row).to_contain_text("Learning")
    shot(page, "my_skills")
    context.close()

    # The coach sees the task completed on the assessment.
    context, page = sign_in(browser, base, "coach")
    page.goto(f"{base}/o/alpha/coaching/assessments/{world.assessment.pk}/")
    expect(page.locator("#assessment-tasks tbody tr").first).to_contain_text("Completed")
    context.close()


@pytest.fixture
def survey_scene(world):
    """An opportunity carrying a coach and a trainee survey has opened an assessment of
    the agent for the coach (seeded through the trigger pipeline)."""
    world.coach_survey = world.survey("Coach review")
    world.trainee_survey = world.survey("Coaching feedback", audience="trainee_about_coach")
    world.opportunity(coach_survey=world.coach_survey, trainee_survey=world.trainee_survey)
    world.push({"external_id": "INC0042", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    with world.tenant.scope():
        world.assessment = CoachingAssessment.objects.get()
    return world


def test_browser_coach_survey_sets_the_rating_and_trainee_answer_counts_for_the_coach(
        live_server, survey_scene, browser):
    from playwright.sync_api import expect

    world = survey_scene
    base = live_server.url
    url = f"{base}/o/alpha/coaching/assessments/{world.assessment.pk}/"

    # The coach completes the assessment, then takes the attached coach survey.
    context, page = sign_in(browser, base, "coach")
    page.goto(url)
    surveys = page.locator("#assessment-surveys tbody tr")
    expect(surveys.nth(0)).to_contain_text("Coach review")
    expect(surveys.nth(0)).to_contain_text("Sent on completion")
    expect(page.get_by_label("Coach survey")).to_be_disabled()  # the opportunity set it
    walk_to_completion(page)
    expect(surveys.nth(0)).to_contain_text("Pending")
    expect(surveys.nth(1)).to_contain_text("Coaching feedback")
    expect(page.get_by_test_id("assessment-rating")).to_have_text("Not rated")
    shot(page, "assessment_completed")
    page.get_by_role("button", name="Take the coach survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coach review")
    page.get_by_role("group", name="1. Quality").get_by_text("4", exact=True).click()
    page.get_by_role("group", name="2. Followed the procedure?").get_by_label("Yes").check()
    page.get_by_role("button", name="Submit answers").click()
    # Quality 4 of 1–5 → 75 with weight 2, followed → 100: (2×75 + 100) / 3 = 83.33.
    expect(page.get_by_test_id("survey-score")).to_contain_text("83.3")
    page.goto(url)
    expect(page.get_by_test_id("assessment-rating")).to_have_text("83")
    expect(surveys.nth(0)).to_contain_text("Completed")
    expect(surveys.nth(0)).to_contain_text("83.33")
    shot(page, "assessment_rated")
    context.close()

    # The trainee finds their survey in the agent workspace and answers it.
    context, page = sign_in(browser, base, "agent")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My surveys").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My surveys")
    page.get_by_role("link", name="Coaching feedback").click()
    page.get_by_role("group", name="1. Quality").get_by_text("3", exact=True).click()
    page.get_by_role("group", name="2. Followed the procedure?").get_by_label("Yes").check()
    page.get_by_role("button", name="Submit answers").click()
    # Quality 3 → 50 with weight 2, yes → 100: (2×50 + 100) / 3 = 66.67.
    expect(page.get_by_test_id("survey-score")).to_contain_text("66.7")
    shot(page, "trainee_survey")
    context.close()

    # Coach effectiveness counts it for the coach and for the opportunity.
    context, page = sign_in(browser, base, "admin")
    page.goto(f"{base}/o/alpha/surveys/effectiveness/")
    row = page.locator("#per-coach tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text(world.coach.get_full_name())
    # One trainee answer counts (n = 1), but an anonymous average is shown only from
    # three responses on.
    expect(row.first.locator("td").nth(1)).to_have_text("too few responses to show (n < 3)")
    expect(row.first.locator("td").nth(2)).to_have_text("1")
    by_opportunity = page.locator("#per-opportunity tbody tr")
    expect(by_opportunity).to_have_count(1)
    expect(by_opportunity.first).to_contain_text("Reassigned three times")
    shot(page, "effectiveness")
    context.close()
