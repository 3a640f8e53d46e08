"""Browser test of the issue's done-when: a coach opens an agent's evaluation; the agent
signs in and finds the entry under My coaching → Who looked at my data, with a link back to
the evaluation. With SHOTS_DIR set, the pages are kept as screenshots."""

import os
from pathlib import Path

import pytest

from tests.factories import Tenant
from tests.quality.conftest import QualityWorld, make_scorecard, released_audit
from tests.test_browser import _sign_in_with_keyboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    if folder := os.environ.get("SHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.fixture
def desk(transactional_db):
    tenant = Tenant(slug="acme")
    qa = tenant.member(roles=["qa_analyst"], username="quinn", first_name="Quinn",
                       last_name="Analyst")
    coach = tenant.member(roles=["coach"], username="carl", first_name="Carl",
                          last_name="Coach")
    agent = tenant.member(roles=["agent"], username="alice", first_name="Alice",
                          last_name="Agent")
    tenant.team(name="Care", manager=coach, members=[agent])
    world = QualityWorld(tenant=tenant, agent=agent, coach=coach, qa=qa)
    make_scorecard(tenant.org)
    audit = released_audit(world, external_id="CHAT-7")
    return world, audit


def test_browser_agent_sees_the_coach_who_opened_their_evaluation(live_server, desk, browser):
    from playwright.sync_api import expect

    world, audit = desk
    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, base, "carl")
    page.goto(f"{base}/o/acme/quality/evaluations/{audit.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("CHAT-7")
    context.close()

    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    _sign_in_with_keyboard(page, base, "alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("My coaching")
    section = page.locator("section[aria-labelledby=access-h]")
    expect(section).to_contain_text("Carl Coach")
    _shot(page, "access-my-coaching")
    section.get_by_role("link", name="See everyone who looked at my data").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Who looked at my data")
    rows = page.locator("#access-records tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Carl Coach")
    expect(rows.first).to_contain_text("Evaluation: Audit of CHAT-7")
    expect(rows.first).to_contain_text("Page")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My coaching", exact=True)).to_have_attribute(
        "aria-current", "page")
    _shot(page, "access-who-looked")
    rows.first.get_by_role("link", name="Audit of CHAT-7").click()
    expect(page).to_have_url(f"{base}/o/acme/quality/evaluations/{audit.pk}/")
