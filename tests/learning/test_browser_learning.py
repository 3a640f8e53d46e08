"""Browser test (Playwright, Debian's Chromium): a coach assigns a course; the agent finds
it in My learning with the right due date, completes it, and My skills shows the course's
skill from learning. Screenshots of the learning pages go to /tmp/screens/learning_*.png.

The issue's full flow, starting from a coach completing an assessment with a course as
training, is tests/coaching/test_browser_learning_surveys.py; this one starts from the
assignment page.
"""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from learning.due_dates import add_days
from learning.enums import EXCLUDE_WEEKENDS_SETTING
from learning.services import assign_course, start_task
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path("/tmp/screens")


@pytest.fixture
def scene(world, unscoped):
    """The world plus the weekend setting on and two older tasks of the agent (one overdue,
    one due today), created before the browser starts."""
    world.tenant.org.settings = {EXCLUDE_WEEKENDS_SETTING: True}
    world.tenant.org.save()
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    with world.tenant.scope():
        assign_course(course_item=world.external, assignee=world.agent, assigned_by=world.coach,
                      due_date=today - datetime.timedelta(days=2), notify=False)
        other = assign_course(course_item=world.external, assignee=world.agent2,
                              assigned_by=world.coach, due_date=today, notify=False)
        start_task(task=other, actor=world.agent2)
    return world


def sign_in(browser, base_url, username):
    context = browser.new_context(viewport={"width": 1440, "height": 860})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    return context, page


def shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"learning_{name}.png"), full_page=True)


def test_browser_coach_assigns_agent_completes_and_gets_the_skill(live_server, scene, browser):
    from playwright.sync_api import expect

    world = scene
    base = live_server.url
    today = timezone.localdate(timezone=world.tenant.org.tzinfo)
    expected_due = add_days(today, 5, skip_weekdays=[5, 6])

    # The coach assigns the article course to Abe.
    context, page = sign_in(browser, base, "carl")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Learning", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Learning tasks")
    page.get_by_role("link", name="Assign a course").first.click()
    page.get_by_label("Course item").select_option(label="VPN troubleshooting")
    # The agent is typed and picked from the suggestions (the people picker ticks them in;
    # headless Chromium shows no datalist popup, so the pick is the value and its input).
    page.get_by_label("Agents").press_sequentially("abe", delay=30)
    expect(page.locator("#id_agents-people option")).to_have_count(1)
    page.get_by_label("Agents").evaluate(
        "(box) => { box.value = box.list.options[0].value;"
        " box.dispatchEvent(new Event('input', {bubbles: true})); }")
    expect(page.get_by_label("Abe Ames (abe)")).to_be_checked()
    shot(page, "assign")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("alert")).to_contain_text("“VPN troubleshooting” assigned to 1 person.")
    expect(page.locator("#task-table")).to_contain_text("VPN troubleshooting")
    page.goto(f"{base}/o/alpha/learning/tasks/")
    shot(page, "coach_tasks")
    page.get_by_label("Overdue only").check()
    expect(page.locator("#task-table tbody tr")).to_have_count(1)
    context.close()

    # The agent finds it in My learning with the right due date and completes it.
    context, page = sign_in(browser, base, "abe")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    card = page.locator(".task-card", has_text="VPN troubleshooting")
    expect(card.locator("time")).to_have_attribute("datetime", expected_due.isoformat())
    expect(page.locator(".due-card-overdue")).to_contain_text("Firewalls on Udemy")
    shot(page, "my_learning")
    card.get_by_role("link", name="Open VPN troubleshooting").click()
    expect(page.locator("article.course-body")).to_contain_text("Check the client first.")
    page.get_by_role("button", name="Mark started").click()
    expect(page.get_by_role("alert")).to_contain_text("started")
    shot(page, "task_article")
    page.get_by_role("button", name="Mark completed").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Skills added to your profile: Empathy, VPN.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My skills").click()
    row = page.locator("#held-skills tr", has_text="VPN")
    expect(row).to_contain_text("Intermediate")
    expect(row).to_contain_text("Learning")
    shot(page, "my_skills")
    context.close()

    # The learning admin's pages, for the record.
    context, page = sign_in(browser, base, "lars")
    for name, path in [
        ("catalogs", "catalogs/"), ("catalog_detail", f"catalogs/{world.catalog.pk}/"),
        ("courses", "courses/"), ("course_detail", f"courses/{world.article.pk}/"),
        ("course_editor", f"courses/{world.article.pk}/edit/"),
        ("external_course", "courses/new/external/"),
        ("external_detail", f"courses/{world.external.pk}/"),
    ]:
        page.goto(f"{base}/o/alpha/learning/{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(page, name)
    page.goto(f"{base}/o/alpha/learning/courses/new/")
    page.get_by_label("Video or page link").check()
    expect(page.get_by_label("Article text")).to_be_hidden()
    page.get_by_label("Title").fill("Bad link")
    page.get_by_label("Web address").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save course").click()
    expect(page.locator("#id_url_error")).to_contain_text("http:// or https://")
    shot(page, "course_editor_error")
    context.close()

    context, page = sign_in(browser, base, "ada")
    page.goto(f"{base}/o/alpha/learning/settings/")
    expect(page.get_by_label("Exclude weekends from learning due dates")).to_be_checked()
    shot(page, "settings")
    page.goto(f"{base}/o/alpha/skills/catalogue/{world.vpn.pk}/")
    expect(page.get_by_text("Course items (1)")).to_be_visible()
    shot(page, "skill_overview")
    context.close()
