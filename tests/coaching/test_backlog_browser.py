"""The coaching backlog in the browser (issue 20): a coach finds the unassigned assessment
among the overdue items and claims it; the org admin filters by kind (htmx) and gives an
overdue assessment to another coach."""

import pytest
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from tests.test_browser import _sign_in_with_keyboard

from .assignment_fixtures import build_world
from .backlog_fixtures import make_backlog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bw(transactional_db):
    world = build_world()
    world.items = make_backlog(world)
    return world


def test_browser_coach_claims_and_admin_reassigns_from_the_backlog(live_server, bw, browser):
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, base, "cleo")
    page.goto(f"{base}/o/acme/coaching/backlog/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coaching backlog")
    rows = page.locator("#backlog-table tbody tr")
    expect(rows).to_have_count(2)
    unassigned = rows.filter(has_text="Manual assessment")
    expect(unassigned.get_by_text("Unassigned")).to_be_visible()
    unassigned.get_by_role("button", name="Claim").click()
    expect(page.get_by_text(f"You coach assessment #{bw.items.unassigned.pk} now.")
           ).to_be_visible()
    expect(rows.filter(has_text="Manual assessment").get_by_role("button", name="Claim")
           ).to_have_count(0)

    admin = context.new_page()
    context.clear_cookies()
    _sign_in_with_keyboard(admin, base, "ada")
    admin.goto(f"{base}/o/acme/coaching/backlog/")
    admin.get_by_label("Kind", exact=True).select_option("assessment")
    table = admin.locator("#backlog-table tbody tr")
    expect(table).to_have_count(2)
    expect(admin).to_have_url(f"{base}/o/acme/coaching/backlog/?kind=assessment&team=&owner=")
    overdue = table.first
    expect(overdue.get_by_text("Overdue")).to_be_visible()
    overdue.get_by_label(f"New coach for assessment #{bw.items.assessment.pk}"
                         ).select_option(str(bw.coach2.pk))
    overdue.get_by_role("button", name="Reassign").click()
    expect(admin.get_by_text(f"{bw.coach2} coaches assessment #{bw.items.assessment.pk} now.")
           ).to_be_visible()
    # back on the same filter
    expect(admin).to_have_url(f"{base}/o/acme/coaching/backlog/?kind=assessment&team=&owner=")
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=bw.items.assessment.pk).coach.username == \
            "cleo"
    context.close()
