"""Done when (browser): a coach raises an agent's level inline in the team's skill matrix and
the agent's "My skills" shows it with its source; an agent's self-review, approved by their
coach, shows in both places."""

import re
from pathlib import Path

import pytest

from skills.enums import Source
from skills.services import award_skill
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path("/tmp/screens")


def _sign_in(browser, base_url, username):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def test_browser_matrix_edit_and_self_review_flow(live_server, world, browser):  # noqa: F811
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(exist_ok=True)
    with world.tenant.scope():
        award_skill(user=world.agent, skill=world.firewall, level=world.level("Novice"),
                    source=Source.IMPORT)
    base = live_server.url
    matrix_url = f"{base}/o/alpha/skills/"

    # The coach raises Abe's Firewall from Novice to Advanced, in place.
    coach_ctx, coach = _sign_in(browser, base, "carl")
    coach.goto(matrix_url)
    expect(coach.get_by_role("heading", level=1)).to_contain_text("Service Desk")
    coach.get_by_role("link", name="Abe Ames, Firewall: Novice. Change").click()
    select = coach.get_by_label("Level of Firewall for Abe Ames")
    expect(select).to_be_focused()
    select.select_option(label="Advanced")
    coach.get_by_role("button", name="OK").click()
    expect(coach.get_by_role("link", name="Abe Ames, Firewall: Advanced. Change")).to_be_visible()
    assert coach.url == matrix_url  # edited in place, no page load
    coach.screenshot(path=str(SCREENSHOTS / "skills_matrix_inline_edit.png"), full_page=True)

    # Abe sees the new level and where it came from, then asks for Empathy.
    agent_ctx, agent = _sign_in(browser, base, "abe")
    agent.goto(f"{base}/o/alpha/skills/me/")
    firewall_row = agent.locator("#held-skills tr", has_text="Firewall")
    expect(firewall_row).to_contain_text("Advanced")
    expect(firewall_row).to_contain_text("Manual edit by")
    agent.get_by_label("Skill", exact=True).select_option(label="Empathy")
    agent.get_by_label("Level", exact=True).select_option(label="Intermediate")
    agent.get_by_label("Justification").fill("Calmed three escalated callers this week.")
    agent.get_by_role("button", name="Send request").click()
    expect(agent.locator("#my-reviews")).to_contain_text("Empathy at Intermediate")
    expect(agent.locator("#my-reviews")).to_contain_text("Requested")

    # The coach approves it from the review queue.
    coach.goto(f"{base}/o/alpha/skills/reviews/")
    coach.get_by_role("link", name=re.compile("Review Abe Ames's request for Empathy")).click()
    coach.get_by_label("Comment").fill("Agreed — well handled.")
    coach.get_by_role("button", name="Approve").click()
    expect(coach.get_by_role("alert")).to_contain_text("Approved: Abe Ames now holds Empathy")
    coach.goto(matrix_url)
    expect(coach.get_by_role("link", name="Abe Ames, Empathy: Intermediate. Change")) \
        .to_be_visible()

    # …and Abe sees it in "My skills" with its source.
    agent.goto(f"{base}/o/alpha/skills/me/")
    empathy_row = agent.locator("#held-skills tr", has_text="Empathy")
    expect(empathy_row).to_contain_text("Intermediate")
    expect(empathy_row).to_contain_text("Self-review")
    expect(agent.locator("#my-reviews")).to_contain_text("Approved")
    agent.screenshot(path=str(SCREENSHOTS / "skills_my_skills_after_review.png"), full_page=True)
    coach_ctx.close()
    agent_ctx.close()
