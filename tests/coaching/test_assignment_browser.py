"""Done when (issue 15), in the browser: a QA analyst marks two agents from audits, groups
them, sees "Assign coaching" disabled on an empty group, dispatches the full group; each
agent sees exactly one assignment and no trace of the group, reviews the interactions; the
supervisors' list shows In progress, then Completed; each agent counts once."""

import os
import re
from pathlib import Path

import pytest

from tests.test_browser import _sign_in_with_keyboard

from .assignment_fixtures import build_world, follow_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bw(transactional_db):
    world = build_world()
    world.audits = [world.audit(world.agent), world.audit(world.agent), world.audit(world.agent2)]
    world.best_response(world.agent3)  # an Empathy example each agent studies too
    return world


def _shot(page, name):
    """With SHOTS_DIR set, keep a full-page screenshot to look at the pages as a user."""
    if folder := os.environ.get("SHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _mark(page, base, evaluation, area):
    from playwright.sync_api import expect

    page.goto(f"{base}/o/acme/coaching/marked/evaluations/{evaluation.pk}/mark/")
    page.get_by_label(area, exact=True).check()
    page.get_by_role("button", name="Mark for coaching").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marked for coaching")


def _new_group(page, base, name):
    from playwright.sync_api import expect

    page.goto(f"{base}/o/acme/coaching/marked/groups/new/")
    page.get_by_label("Group name").fill(name)
    expect(page.get_by_text(f"“{name}” is available.")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marked for coaching")


def _status(page, base):
    page.goto(f"{base}/o/acme/coaching/assignments/")
    return page.locator('tr[data-row="Empathy refresher"] .badge').last.inner_text()


def _review_all(page, base, *, stop_after=None, fresh=True):
    from playwright.sync_api import expect

    page.goto(f"{base}/o/acme/coaching/me/assignments/")
    rows = page.get_by_role("table", name="My coaching assignments").locator("tbody tr")
    expect(rows).to_have_count(1)
    assert "Empathy refresher" not in page.content()
    if fresh:
        expect(rows.first).to_contain_text("Start coaching")
    _shot(page, "my-assignments")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Empathy coaching")
    _shot(page, "my-assignment")
    done = 0
    # Each button is named for its item: "Mark CH-1 reviewed", "Mark example CH-4 reviewed".
    buttons = page.get_by_role("button", name=re.compile(r"^Mark .+ reviewed$"))
    while (left := buttons.count()):
        if stop_after is not None and done == stop_after:
            break
        buttons.first.click()
        expect(buttons).to_have_count(left - 1)  # the review is saved and the page back
        done += 1
    expect(page.get_by_test_id("assignment-status")).to_have_text(
        "In progress" if stop_after is not None else "Completed")
    assert "refresher" not in page.content() and "Group" not in page.content()


def test_browser_qa_marks_groups_dispatches_and_agents_complete(live_server, bw, browser):
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    qa = context.new_page()
    _sign_in_with_keyboard(qa, base, "quinn")
    a1, a2, b1 = bw.audits
    _mark(qa, base, a1, "Empathy")
    _mark(qa, base, a2, "Greeting")
    _mark(qa, base, b1, "Empathy")
    _new_group(qa, base, "Empathy refresher")
    _new_group(qa, base, "Empty group")
    qa.goto(f"{base}/o/acme/coaching/marked/?tab=individuals")
    _shot(qa, "marked-individuals")
    for name in ("Alice", "Bob"):
        qa.get_by_label(f"Group for {name}").select_option(label="Empathy refresher")
        qa.get_by_label(f"Group for {name}").locator("xpath=..").get_by_role(
            "button", name="Add").click()
        qa.wait_for_load_state()
    qa.goto(f"{base}/o/acme/coaching/marked/?tab=groups")
    _shot(qa, "marked-groups")
    groups = qa.get_by_role("table", name="Coaching groups")
    empty_row = groups.locator("tr", has_text="Empty group")
    expect(empty_row.get_by_role("button", name="Assign coaching")).to_be_disabled()
    full_row = groups.locator("tr", has_text="Empathy refresher")
    expect(full_row).to_contain_text("3")
    full_row.get_by_role("link", name="Assign coaching").click()
    qa.get_by_label("Name").fill("Empathy coaching")
    qa.get_by_label("Follow-up date").fill(follow_up().isoformat())
    qa.get_by_label("Action plan (one step per line)").fill("Replay the call\nUse the examples")
    qa.get_by_role("button", name="Assign coaching").click()
    expect(qa.get_by_role("heading", level=1)).to_have_text("Coaching assignments")
    assert _status(qa, base) == "Yet to start"
    _shot(qa, "assignment-list")

    alice = browser.new_context().new_page()
    _sign_in_with_keyboard(alice, base, "alice")
    _review_all(alice, base, stop_after=1)
    _shot(alice, "my-assignment-one-reviewed")
    status = _status(qa, base)
    _shot(qa, "assignment-list-in-progress")
    assert status == "In progress"
    _review_all(alice, base, fresh=False)
    bob = browser.new_context().new_page()
    _sign_in_with_keyboard(bob, base, "bob")
    _review_all(bob, base)
    assert _status(qa, base) == "Completed"
    expect(qa.get_by_test_id("agents-in-coaching")).to_have_text("2")
    context.close()
