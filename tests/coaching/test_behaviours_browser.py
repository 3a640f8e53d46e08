"""Browser test: a coach opens Team performance, expands a behaviour to see the agents'
breakout with a low outlier, opens that agent's overview from their name, then Coaching
required and All agents; the quality home shows the contact-center cards. Screenshots go
to /tmp/screens."""

import pytest
from django_scopes import scopes_disabled

from tenancy.models import Membership, TeamMember
from tests.test_browser import SCREENSHOTS, _sign_in_with_keyboard

from .assignment_fixtures import build_world
from .test_behaviours_selectors import evaluate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Empathy passed in 4, 4, 3, 4, 3 and 0 of 4 audits: median 87.5, MAD 12.5, and the last
# agent's robust z is 0.6745 · (0 − 87.5) / 12.5 = −4.72, a low outlier.
PASSES = {"alice": 4, "bob": 4, "cara": 3, "dan": 4, "eve": 3, "finn": 0}


@pytest.fixture
def team(transactional_db):
    world = build_world()
    org = world.tenant.org
    org.settings = {**(org.settings or {}), "quality": {"min_reviews": 3}}
    org.save(update_fields=["settings"])
    with scopes_disabled():
        agents = {"alice": world.agent, "bob": world.agent2}
        for name in ("cara", "dan", "eve", "finn"):
            user = world.tenant.member(username=name, first_name=name.title(),
                                       last_name="Agent")
            TeamMember.objects.create(organization=org, team=world.team, user=user)
            agents[name] = user
        Membership.objects.filter(user=agents["finn"]).update(
            about="Joined in October; I handle billing chats in English and Dutch.")
    for name, passes in PASSES.items():
        for i in range(4):
            evaluate(world, agents[name], {"empathy": "yes" if i < passes else "no",
                                           "greeting": "no" if name == "eve" and i == 0
                                           else "yes"})
    return world


def test_browser_coach_finds_the_outlier_and_opens_their_overview(live_server, team, browser):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "carl")
    base = f"{live_server.url}/o/{team.tenant.org.slug}/coaching/behaviours/"
    page.goto(base)
    expect(page.get_by_role("heading", name="Team performance")).to_be_visible()
    empathy = page.locator("details.behaviour-row").filter(has_text="Empathy")
    expect(empathy.locator("summary .badge")).to_have_text("low outlier: Finn Agent")
    empathy.locator("summary").click()
    expect(empathy.locator("table").get_by_text("low outlier")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "behaviours_team.png"), full_page=True)

    empathy.get_by_role("link", name="Finn Agent").click()
    expect(page.get_by_role("heading", name="Finn Agent")).to_be_visible()
    expect(page.get_by_text("Joined in October; I handle billing chats")).to_be_visible()
    expect(page.locator("svg.sparkline")).to_have_count(6)
    if page.locator("article.advice").count():  # coaching.advice is there
        expect(page.locator("article.advice").get_by_role("link", name="B-")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "behaviours_agent.png"), full_page=True)

    page.goto(base + "required/")
    first = page.locator("#needs tbody tr").first
    expect(first).to_contain_text("Finn Agent")
    expect(first).to_contain_text("Empathy")
    expect(first).to_contain_text("4 of 4 failed")
    page.screenshot(path=str(SCREENSHOTS / "behaviours_required.png"), full_page=True)

    page.goto(base + "agents/")
    page.get_by_label("Search by name").fill("fin")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#agents tbody tr")).to_have_count(1)
    page.goto(base + "agents/")
    page.screenshot(path=str(SCREENSHOTS / "behaviours_agents.png"), full_page=True)

    page.goto(f"{live_server.url}/o/{team.tenant.org.slug}/quality/leaderboard/")
    expect(page.get_by_role("link", name="Average QA score")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "behaviours_quality_home.png"))
    context.close()
