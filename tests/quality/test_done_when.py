"""Issue 14, "Done when", end to end through public interfaces only:

1. ``import_scorecards`` loads a scorecard from a JSON file;
2. chats with transcripts are posted to ``POST /api/v1/work-items``;
3. a real Celery worker scores every one of them (``quality.autoscore``);
4. an outside QA system posts earlier audits (``POST /api/v1/evaluations``) so that the
   humans-gate-the-machine bar (kappa >= 0.6 over >= 30 pairs) can be reached;
5. in the browser, a QA analyst lands on the audit queue, finds an interaction that is not
   audited yet, audits it with the keyboard and submits (total checked by hand);
6. the worker refreshes the agreement; the leaderboard shows each agent with n, the 95 %
   interval and every automatic attribute's verified / unverified state;
7. the agent sees the released evaluation under My quality and gets 404 on another agent's
   evaluation and interaction.

The expected numbers are worked out here from the scorecard's weights and the answers
given, independently of the product's code.
"""

import json
import math
import re
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_scopes import scopes_disabled
from scipy import stats as scipy_stats

from quality.models import AttributeAgreement
from tests.factories import Tenant
from tests.test_browser import _sign_in_with_keyboard
from tests.work.conftest import ApiClient, make_token
from tests.work.test_worker_integration import (  # noqa: F401 (fixtures)
    _wait_until_processed,
    pytestmark,
    queue,
    start_worker,
)
from work.models import HandlerRun

pytestmark = [*pytestmark, pytest.mark.browser]

SHOTS = "/tmp/shots"

# The scorecard, as an org admin would keep it in version control. Weights sum to 100.
SCORECARD = [{
    "name": "Customer care", "default": True, "attributes": [
        {"name": "Greeting", "section": "Opening", "answer": "yes_no", "weight": 10,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Thank the customer for contacting us in the first sentence.",
         "auto": {"rule": "agent_says", "phrases": ["thank you for contacting"],
                  "within_first_turns": 1}},
        {"name": "Empathy", "section": "Conversation", "answer": "yes_no", "weight": 30,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "Acknowledge how the customer feels.",
         "auto": {"rule": "agent_says", "phrases": ["sorry"]}},
        {"name": "Resolution", "section": "Conversation", "answer": "scale:4", "weight": 25,
         "critical": False, "na_allowed": False, "disputable": True,
         "guidance": "0: not addressed … 4: solved for good.", "auto": None},
        {"name": "Compliance", "section": "Compliance", "answer": "yes_no", "weight": 20,
         "critical": True, "na_allowed": False, "disputable": False,
         "guidance": "Never promise what we cannot guarantee.",
         "auto": {"rule": "agent_never_says", "phrases": ["guarantee"]}},
        {"name": "Closing", "section": "Closing", "answer": "yes_no", "weight": 15,
         "critical": False, "na_allowed": True, "disputable": True,
         "guidance": "Offer further help before saying goodbye.",
         "auto": {"rule": "agent_says", "phrases": ["anything else"], "within_last_turns": 1}},
    ],
}]
WEIGHTS = {"Greeting": 10, "Empathy": 30, "Resolution": 25, "Compliance": 20, "Closing": 15}

ALICE_CHATS, BOB_CHATS = 30, 12
ALICE_AUDITED, BOB_AUDITED = 25, 5  # posted by the outside QA system: 30 pairs
TARGET = "CH-A28"  # audited in the browser: greeted, apologised, offered more help


def _greets(i: int) -> bool:
    return i % 3 != 0


def _apologises(i: int) -> bool:
    return i % 2 == 0


def _offers_more(i: int) -> bool:
    return i % 5 != 0


def _promises(agent: str, i: int) -> bool:
    return agent == "alice" and i == 7  # one critical failure


def _chat(agent: str, i: int, opened_at) -> dict:
    name = agent.title()
    return {
        "external_id": f"CH-{agent[0].upper()}{i:02d}", "kind": "chat", "state": "resolved",
        "assigned_to": agent, "resolved_by": agent, "queue": "Care", "topic": "Delivery",
        "opened_at": opened_at.isoformat(), "handle_time_seconds": 240,
        "transcript": [
            {"speaker": "agent", "at": 0, "text": (
                f"Thank you for contacting Acme, this is {name}." if _greets(i) else "Hi.")},
            {"speaker": "customer", "at": 9, "text": "My parcel never arrived and I am upset."},
            {"speaker": "agent", "at": 25, "text": (
                "I am so sorry about that, let me check." if _apologises(i)
                else "Let me check.")},
            {"speaker": "agent", "at": 70, "text": (
                "I guarantee it arrives tomorrow." if _promises(agent, i)
                else "It is on the van and arrives tomorrow.")},
            {"speaker": "agent", "at": 95, "text": (
                "Is there anything else I can help with?" if _offers_more(i) else "Bye.")},
        ],
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _outside_audit(agent: str, i: int) -> dict:
    """The outside QA system agrees with the machine on Greeting, Compliance and Closing and
    always credits Empathy (so the machine's Empathy disagrees on every odd chat)."""
    return {
        "interaction": f"CH-{agent[0].upper()}{i:02d}", "evaluator": "quinn",
        "answers": [
            {"attribute": "Greeting", "answer": _yes(_greets(i))},
            {"attribute": "Empathy", "answer": "yes"},
            {"attribute": "Resolution", "answer": 4 if i % 2 == 0 else 2},
            {"attribute": "Compliance", "answer": _yes(not _promises(agent, i))},
            {"attribute": "Closing", "answer": _yes(_offers_more(i))},
        ],
    }


def _total(audit: dict) -> float:
    """The weighted total of an audit, by hand: points × weight over the weights answered;
    a failed critical attribute (Compliance) makes it 0."""
    earned = possible = 0.0
    for answer in audit["answers"]:
        name, value = answer["attribute"], answer["answer"]
        if name == "Compliance" and value == "no":
            return 0.0
        points = value / 4 if name == "Resolution" else float(value == "yes")
        earned += WEIGHTS[name] * points
        possible += WEIGHTS[name]
    return round(100 * earned / possible, 2)


# --- the numbers a manager reads, worked out independently ---------------------------------

Z = 1.959963984540054


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _wilson(successes: int, n: int) -> str:
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return f"{_pct(p)} [{_pct(max(0.0, centre - half))}–{_pct(min(1.0, centre + half))}] n {n}"


def _mean_t(values: list[float]) -> str:
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return f"{mean:.1f} [{max(0, mean - half):.1f}–{min(100, mean + half):.1f}] n {n}"


def _verified_auto_score(passes: dict[str, int], n: int) -> str:
    """The automatic score from verified attributes only: Σ w·rate / Σ w, se² = Σ (w/W)²·s²/n,
    t on n − 1 degrees of freedom (every attribute has the same n here)."""
    weight = sum(WEIGHTS[a] for a in passes)
    mean = sum(WEIGHTS[a] * k / n for a, k in passes.items()) / weight
    se2 = sum((WEIGHTS[a] / weight) ** 2 * (k * (1 - k / n) / (n - 1)) / n
              for a, k in passes.items())
    half = scipy_stats.t.ppf(0.975, n - 1) * math.sqrt(se2)
    return f"{100 * mean:.1f} [{100 * (mean - half):.1f}–{100 * (mean + half):.1f}] n {n}"


def _cells(page, agent_name: str) -> list[str]:
    row = page.locator("#leaderboard tbody tr").filter(
        has=page.get_by_role("rowheader", name=agent_name, exact=True))
    return [" ".join(t.split()) for t in row.locator("td").all_inner_texts()]


def _wait_for_agreement(pairs: int, timeout: float = 60) -> None:
    """The worker recounts the agreement after the audit's commit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with scopes_disabled():
            if set(AttributeAgreement.objects.values_list("pairs", flat=True)) == {pairs}:
                return
        time.sleep(0.25)
    pytest.fail(f"the agreement was not refreshed to {pairs} pairs within {timeout} s")


@pytest.fixture
def acme(transactional_db):
    tenant = Tenant(slug="acme")
    tenant.member(roles=["qa_analyst"], username="quinn", first_name="Quinn",
                  last_name="Analyst")
    alice = tenant.member(roles=["agent"], username="alice", first_name="Alice",
                          last_name="Agent")
    bob = tenant.member(roles=["agent"], username="bob", first_name="Bob", last_name="Agent")
    tenant.team(name="Care", members=[alice, bob])
    return tenant


def test_done_when_import_post_score_audit_leaderboard_and_agent_view(
    client, acme, start_worker, live_server, browser, tmp_path  # noqa: F811
):
    from pathlib import Path

    from playwright.sync_api import expect

    Path(SHOTS).mkdir(parents=True, exist_ok=True)

    # 1. The scorecard, from a file.
    path = tmp_path / "scorecards.json"
    path.write_text(json.dumps(SCORECARD))
    call_command("import_scorecards", "--org", "acme", str(path))

    # 2. Interactions with transcripts over the API; 3. a real worker scores them all.
    api = ApiClient(client=client, token=make_token(tenant=acme, name="Contact center"))
    start_worker()
    opened_at = timezone.now() - timezone.timedelta(hours=3)
    chats = ([_chat("alice", i, opened_at) for i in range(1, ALICE_CHATS + 1)]
             + [_chat("bob", i, opened_at) for i in range(1, BOB_CHATS + 1)])
    assert api.post("work-items", chats).json() == {"created": 42, "updated": 0,
                                                    "unchanged": 0}
    _wait_until_processed(42, tmp_path)
    with scopes_disabled():
        assert HandlerRun.objects.filter(handler="quality.autoscore").count() == 42
    scored = api.get("evaluations", {"kind": "auto", "limit": 100}).json()["items"]
    assert len(scored) == 42
    assert {(e["state"], e["scorecard"], e["version"]) for e in scored} == {
        ("released", "Customer care", 1)}
    auto = api.get("evaluations", {"interaction": TARGET, "kind": "auto"}).json()["items"]
    assert [(e["agent"], e["state"], e["total"]) for e in auto] == [
        ("alice", "released", 100.0)]  # 75 of 75: Resolution has no automatic scorer
    assert {a["attribute"]: a["answer"] for a in auto[0]["answers"]} == {
        "Greeting": "yes", "Empathy": "yes", "Resolution": None, "Compliance": "yes",
        "Closing": "yes"}
    promised = api.get("evaluations", {"interaction": "CH-A07", "kind": "auto"}).json()
    assert promised["items"][0]["total"] == 0.0  # "guarantee": the critical item failed

    # 4. Earlier audits from an outside QA system: 25 of Alice's chats, 5 of Bob's.
    outside = ([_outside_audit("alice", i) for i in range(1, ALICE_AUDITED + 1)]
               + [_outside_audit("bob", i) for i in range(1, BOB_AUDITED + 1)])
    for audit in outside:
        response = api.post("evaluations", audit)
        assert response.status_code == 201, response.content
        assert response.json()["total"] == _total(audit)

    # The worker recounts the agreement after the posted audits: 30 pairs reach the bar.
    _wait_for_agreement(30)

    # 5. The QA analyst audits CH-A28 in the browser, with the keyboard.
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "quinn")
    expect(page.get_by_role("heading", level=1)).to_have_text("My audit queue")
    assert page.url == f"{live_server.url}/o/acme/quality/audits/"
    page.screenshot(path=f"{SHOTS}/done-when-1-audit-queue.png", full_page=True)
    page.get_by_role("link", name="All interactions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interactions")
    expect(page.locator("#interaction-rows caption")).to_have_text("42 interactions")
    agent = page.get_by_label("Agent")  # a search box: typed, then Enter
    agent.fill("Alice Agent")
    agent.press("Enter")
    expect(page).to_have_url(re.compile(r"agent=Alice(\+|%20)Agent"))
    page.get_by_label("Audited").select_option("no")
    expect(page.locator("#interaction-rows caption")).to_have_text("5 interactions")
    page.get_by_role("link", name=TARGET, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Chat {TARGET}")
    page.get_by_role("button", name="Audit", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Audit of chat {TARGET}")
    expect(page.locator("#attr-greeting")).to_be_focused()
    expect(page.locator("#turn-0")).to_have_class("turn turn-agent evidence")
    greeting = page.locator("#attr-greeting .auto-answer")
    expect(greeting).to_contain_text("Yes")
    expect(greeting).to_contain_text("verified κ 1.00")  # 30 pairs, all agreeing
    expect(greeting).not_to_contain_text("unverified")
    total = page.locator("#audit-total")
    expect(total).to_have_text("—")
    page.keyboard.press("y")  # Greeting: yes                    10 of 10
    page.keyboard.press("y")  # Empathy: yes                     40 of 40
    expect(page.locator("#attr-resolution")).to_be_focused()
    page.keyboard.press("3")  # Resolution: 3 of 4 → 18.75 of 25  58.75 of 65
    page.keyboard.press("y")  # Compliance: yes                  78.75 of 85
    expect(total).to_have_text("92.65")
    page.keyboard.press("n")  # Closing: no                       78.75 of 100
    expect(total).to_have_text("78.75")
    page.screenshot(path=f"{SHOTS}/done-when-2-audit.png", full_page=True)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_contain_text("Audit submitted.")
    expect(page.locator("#evaluation-state")).to_have_text("Released")
    expect(page.locator("#evaluation-total")).to_have_text("78.75")
    evaluation_url = page.url
    assert re.fullmatch(rf"{live_server.url}/o/acme/quality/evaluations/\d+/", evaluation_url)
    browser_audit = {"answers": [
        {"attribute": "Greeting", "answer": "yes"}, {"attribute": "Empathy", "answer": "yes"},
        {"attribute": "Resolution", "answer": 3}, {"attribute": "Compliance", "answer": "yes"},
        {"attribute": "Closing", "answer": "no"}]}
    assert _total(browser_audit) == 78.75
    manual = api.get("evaluations", {"interaction": TARGET, "kind": "manual"}).json()["items"]
    assert [(e["agent"], e["state"], e["total"]) for e in manual] == [
        ("alice", "released", 78.75)]

    # 6. The worker recounts the agreement over 31 pairs: Greeting, Compliance and Closing
    #    agree well enough to count, Empathy (kappa 0: the humans always said yes) does not.
    _wait_for_agreement(31)
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Quality").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality leaderboard")
    headers = [" ".join(t.split()) for t in
               page.locator("#leaderboard thead th").all_inner_texts()]
    assert headers[4:9] == [
        "Greeting verified κ 1.00 · n 31 pass rate",
        "Empathy unverified κ 0.00 · n 31 pass rate",
        "Resolution",
        "Compliance verified κ 1.00 · n 31 pass rate",
        "Closing verified κ 0.90 · n 31 pass rate",
    ]
    # Alice: 30 chats scored; 26 audits (25 posted + this one).
    alice_audits = [_total(a) for a in outside[:ALICE_AUDITED]] + [78.75]
    greeted = sum(_greets(i) for i in range(1, 31))  # 20
    offered = sum(_offers_more(i) for i in range(1, 31))  # 24
    resolution = [(4 if i % 2 == 0 else 2) for i in range(1, 26)] + [3]
    assert _cells(page, "Alice Agent")[:8] == [
        "30",
        _verified_auto_score({"Greeting": greeted, "Compliance": 29, "Closing": offered}, 30),
        _mean_t(alice_audits),
        _wilson(greeted, 30),
        _wilson(26, 26) + " (audits)",  # Empathy counts the audits only
        _mean_t([100 * r / 4 for r in resolution]),
        _wilson(29, 30),
        _wilson(offered, 30),
    ]
    # Bob: 12 chats scored, 5 audits: too few to act on.
    bob = _cells(page, "Bob Agent")
    assert bob[:3] == [
        "12",
        _verified_auto_score({"Greeting": 8, "Compliance": 12, "Closing": 10}, 12),
        "too few reviews to act n 5",
    ]
    assert bob[4] == "too few reviews to act n 5 (audits)"
    page.screenshot(path=f"{SHOTS}/done-when-3-leaderboard.png", full_page=True)
    context.close()

    # 7. Alice sees the released audit, and nothing of Bob's.
    bob_audit = api.get("evaluations", {"interaction": "CH-B01", "kind": "manual"}).json()
    bob_id = bob_audit["items"][0]["id"]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in_with_keyboard(page, live_server.url, "alice")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Quality", exact=True)).to_have_count(0)
    nav.get_by_role("link", name="My quality").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My quality")
    released = page.locator("#released tbody tr")
    expect(released).to_have_count(25)  # the newest 25 of 26, newest first
    expect(released.first.locator("td").first).to_have_text(TARGET)
    expect(released.first.locator("td[data-total]")).to_have_text("78.8")
    expect(page.locator("#my-numbers")).to_contain_text("30")
    page.screenshot(path=f"{SHOTS}/done-when-4-my-quality.png", full_page=True)
    released.first.get_by_role("link", name=TARGET).click()
    expect(page.locator("#evaluation-total")).to_have_text("78.75")
    expect(page.locator("#evaluation-state")).to_have_text("Released")
    assert page.url == evaluation_url
    expect(page.get_by_role("link", name="Interaction", exact=True)).to_have_count(0)

    forbidden = [
        f"{live_server.url}/o/acme/quality/evaluations/{bob_id}/",
        f"{live_server.url}/o/acme/quality/leaderboard/",
        f"{live_server.url}/o/acme/quality/interactions/",
    ]
    # Another agent's evaluation does not exist for her; the managers' pages are not hers.
    assert [page.goto(url).status for url in forbidden] == [404, 403, 403]
    page.screenshot(path=f"{SHOTS}/done-when-5-other-agent-404.png", full_page=True)
    context.close()
