"""Browser test (issue 19's "done when"): three evaluators score a five-interaction session
blind with the keyboard (none sees another's answers), the last submit reveals the scores,
the lead reads the reveal table, sets the final answers and finishes, and the agreement
panel shows α per attribute with intervals, the automatic scorer's row and the flagged
attribute."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import CalibrationState
from quality.models import CalibrationSession
from quality.services.autoscore import score_interaction
from quality.services.calibration import Pick, create_session
from tests.factories import Tenant
from tests.test_browser import SCREENSHOTS, _sign_in_with_keyboard

from .conftest import make_interaction, make_scorecard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("resolution", "Closing", "Resolution", 30, False, None, ("scale", 4)),
]
# Keys each evaluator presses per interaction: the greeting (y/n), the resolution (0–4).
# They agree on the greeting and not at all on the resolution.
KEYS = {
    "queenie": ["y4", "y3", "n0", "y2", "y4"],
    "ada": ["y0", "y4", "n3", "y4", "y1"],
    "carl": ["y2", "y0", "n4", "y1", "y3"],
}


@pytest.fixture
def desk(transactional_db):
    tenant = Tenant(slug="acme")
    people = {}
    for username, first, last, roles in (
            ("quinn", "Quinn", "Lead", ["qa_analyst"]),
            ("queenie", "Queenie", "Quist", ["qa_analyst"]),
            ("ada", "Ada", "Admin", ["org_admin"]),
            ("carl", "Carl", "Coach", ["coach"]),
            ("alice", "Alice", "Agent", ["agent"])):
        people[username] = tenant.member(roles=roles, username=username, first_name=first,
                                         last_name=last)
    org = tenant.org
    make_scorecard(org, attributes=CARD)
    items = []
    with scopes_disabled():
        for n in range(5):
            item = make_interaction(
                org, agent=people["alice"], external_id=f"CHAT-{101 + n}",
                opened_at=timezone.now() - timedelta(days=5 - n),
                turns=[("agent", "Thank you for calling, this is Alice." if n < 4
                        else "Yes?"),
                       ("customer", "My invoice charges me twice."),
                       ("agent", "I am sorry, I have refunded the second charge."),
                       ("customer", "Thanks.")])
            score_interaction(interaction=item)
            items.append(item)
        session = create_session(
            organization=org, actor=people["quinn"], name="December calibration",
            deadline=timezone.now() + timedelta(days=3),
            evaluators=[people["queenie"], people["ada"], people["carl"]],
            picks=[Pick(item) for item in items], notes="Listen for the greeting.")
    return tenant, session


def _score_with_the_keyboard(page, base, session, username, *, secret=""):
    from playwright.sync_api import expect

    page.goto(f"{base}/o/acme/quality/calibration/{session.pk}/score/")
    for n, keys in enumerate(KEYS[username], start=1):
        expect(page.locator("#calibration-progress")).to_have_text(f"{n - 1} of 5 scored")
        expect(page.locator("#attr-greeting")).to_be_focused()
        for key in keys:
            page.keyboard.press(key)
        if secret and n == 1:
            page.keyboard.press("k")  # back to the greeting, c: its comment
            page.keyboard.press("k")
            page.keyboard.press("c")
            page.keyboard.type(secret)
            page.keyboard.press("Escape")
        expect(page.locator("#audit-total-note")).to_contain_text("2 of 2 answered")
        if n == 1:
            page.screenshot(path=str(SCREENSHOTS / f"calibration-score-{username}.png"),
                            full_page=True)
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")


def test_browser_three_evaluators_score_blind_then_the_lead_finishes(live_server, desk,
                                                                      browser):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tenant, session = desk
    base = live_server.url
    pages = {}
    for username in ("queenie", "ada", "carl"):
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        pages[username] = context.new_page()
        _sign_in_with_keyboard(pages[username], base, username)

    _score_with_the_keyboard(pages["queenie"], base, session, "queenie",
                             secret="Queenie heard the greeting")
    page = pages["queenie"]
    expect(page.locator(".alert-success")).to_contain_text("You scored all 5 interactions")
    expect(page.locator("#calibration-progress li").first).to_contain_text("submitted")
    # blind: Ada sees neither Queenie's answers nor her comment
    ada = pages["ada"]
    ada.goto(f"{base}/o/acme/quality/calibration/{session.pk}/")
    expect(ada.locator("#calibration-progress")).to_contain_text("Queenie Quist")
    assert "Queenie heard the greeting" not in ada.content()
    ada.goto(f"{base}/o/acme/quality/calibration/{session.pk}/score/1/")
    assert "Queenie heard the greeting" not in ada.content()
    expect(ada.locator("#audit-form input[type=radio]:checked")).to_have_count(0)
    ada.screenshot(path=str(SCREENSHOTS / "calibration-blind.png"), full_page=True)

    _score_with_the_keyboard(ada, base, session, "ada")
    _score_with_the_keyboard(pages["carl"], base, session, "carl")
    expect(pages["carl"].locator(".alert-success")).to_contain_text(
        "Everyone has scored: the scores are revealed")
    with scopes_disabled():
        session.refresh_from_db()
    assert session.state == CalibrationState.REVEALED

    # the lead: the reveal table, then the final answers with the keyboard and the mouse
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    lead = context.new_page()
    _sign_in_with_keyboard(lead, base, "quinn")
    lead.goto(f"{base}/o/acme/quality/calibration/{session.pk}/")
    first = lead.locator(".reveal-item").first
    expect(first.locator("thead th")).to_have_text([
        "Attribute", "Queenie Quist", "Ada Admin", "Carl Coach", "Automatic scorer",
        "Majority", "Final answer", "Note"])
    expect(first.locator("tbody tr").nth(1).locator("td.cal-differs")).to_have_count(3)
    expect(first).to_contain_text("Queenie heard the greeting")
    lead.screenshot(path=str(SCREENSHOTS / "calibration-revealed.png"), full_page=True)
    with scopes_disabled():
        items = list(session.items.order_by("position"))
    for item, keys in zip(items, KEYS["queenie"], strict=True):
        lead.select_option(f"#final-{item.pk}-greeting", "yes" if keys[0] == "y" else "no")
        lead.select_option(f"#final-{item.pk}-resolution", keys[1])
    lead.fill(f"#note-{items[0].pk}-resolution", "Solved in the first reply.")
    lead.locator("#final-finish").focus()
    with lead.expect_navigation():
        lead.keyboard.press("Enter")
    expect(lead.locator(".alert-success")).to_contain_text("Session finished")
    expect(lead.locator("h1")).to_contain_text("Finished")

    panel = lead.locator("#calibration-agreement")
    expect(panel.locator("#agreement-table tbody tr")).to_have_count(3)
    resolution = panel.locator('#agreement-table tr[data-key="resolution"]')
    expect(resolution.locator(".alpha-interval")).to_contain_text("[")
    expect(resolution).to_contain_text("unreliable")
    expect(panel.locator("#agreement-flagged")).to_contain_text("Resolution")
    expect(panel).to_contain_text("Automatic scorer")
    expect(lead.locator(f"#item-{items[0].pk}")).to_contain_text("Solved in the first reply.")
    lead.screenshot(path=str(SCREENSHOTS / "calibration-finished.png"), full_page=True)
    with scopes_disabled():
        assert CalibrationSession.objects.get(pk=session.pk).state == CalibrationState.FINISHED
    for p in (*pages.values(), lead):
        p.context.close()
