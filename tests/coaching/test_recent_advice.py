"""The quality home's coaching cards: "Recently sent advice" (each sent plan, when, and
the agent's behaviour score in the 30 days before sending vs since, with n, or "too little
data"), in a constant number of queries as plans grow; and the cards following the
leaderboard's period when its filter swaps only the results (htmx, out of band)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching import selectors_plans
from coaching.models import CoachingPlan
from coaching.services.plans import create_plan, send_plan

from .assignment_fixtures import aw_fixture  # noqa: F401
from .test_behaviours_selectors import evaluate

pytestmark = pytest.mark.django_db

BOARD = "quality/leaderboard/"
HX = {"HX-Request": "true", "HX-Target": "leaderboard-results"}


def _sent(aw, agent, manager, key="empathy", *, days_ago=10):
    """A plan sent ``days_ago`` days ago (moved back after sending through the service)."""
    today = timezone.localdate()
    with aw.tenant.scope():
        plan = create_plan(organization=aw.tenant.org, manager=manager, agent=agent,
                           attribute_key=key, advice="Advice.", target_percent=80,
                           target_date=today + timedelta(days=30))
        send_plan(plan=plan, actor=manager)
    with scopes_disabled():
        CoachingPlan.objects.filter(pk=plan.pk).update(
            start_date=today - timedelta(days=days_ago),
            sent_at=timezone.now() - timedelta(days=days_ago))
        plan.refresh_from_db()
    return plan


@pytest.fixture
def sent(aw):
    """min reviews 2. alice's Empathy plan (carl, 10 days ago): empathy failed 2 of 3
    audits 20 days ago, passed 3 of 4 since. bob's Greeting plan (carl, 5 days ago): one
    audit before, none since. dora's plan (cleo): not carl's."""
    org = aw.tenant.org
    org.settings = {**(org.settings or {}), "quality": {"min_reviews": 2}}
    org.save(update_fields=["settings"])
    for value in ("no", "no", "yes"):
        evaluate(aw, aw.agent, {"empathy": value}, hours_ago=24 * 20)
    for value in ("yes", "yes", "no", "yes"):
        evaluate(aw, aw.agent, {"empathy": value}, hours_ago=24 * 3)
    evaluate(aw, aw.agent2, {"greeting": "no"}, hours_ago=24 * 8)
    return {"alice": _sent(aw, aw.agent, aw.coach),
            "bob": _sent(aw, aw.agent2, aw.coach, "greeting", days_ago=5),
            "dora": _sent(aw, aw.agent3, aw.coach2, days_ago=1)}


def test_recently_sent_advice_shows_the_change_since_sending(client, aw, sent):
    client.force_login(aw.coach)
    page = client.get(aw.tenant.url(BOARD))
    assert page.status_code == 200
    [card] = [c for c in page.context["cards"] if c["title"] == "Recently sent advice"]
    with scopes_disabled():
        rows = selectors_plans.recently_sent(aw.tenant.org, aw.coach,
                                             today=timezone.localdate())
    assert [(r.plan.agent.username, r.plan.attribute_key) for r in rows] == [
        ("bob", "greeting"), ("alice", "empathy")]  # newest sent first; dora's is cleo's
    bob, alice = rows
    assert (alice.before.value, alice.before.n, alice.since.value, alice.since.n) == (
        pytest.approx(100 / 3), 3, 75.0, 4)
    assert alice.change == pytest.approx(75.0 - 100 / 3)
    assert (bob.before.value, bob.before.n, bob.since.n, bob.change) == (0.0, 1, 0, None)
    html = str(card["html"]).replace("\xa0", " ").replace("&nbsp;", " ")
    assert "Alice · Empathy" in html and ">1 week, 3 days ago</time>" in html
    assert "▲</span> 41.7 pts</span>: 33.3 (n 3) → 75.0 (n 4)" in html
    assert "too little data: n 1 before, 0 since (needs 2 each)" in html
    assert aw.tenant.url(f"coaching/plans/{sent['alice'].pk}/") in html
    assert aw.tenant.url(f"coaching/plans/{sent['dora'].pk}/") not in html
    # The org admin sees every plan; a QA analyst (no plans) gets no card.
    client.force_login(aw.admin)
    [card] = [c for c in client.get(aw.tenant.url(BOARD)).context["cards"]
              if c["title"] == "Recently sent advice"]
    assert aw.tenant.url(f"coaching/plans/{sent['dora'].pk}/") in str(card["html"])
    client.force_login(aw.qa)
    assert "Recently sent advice" not in client.get(aw.tenant.url(BOARD)).content.decode()


def test_recently_sent_advice_leaves_out_drafts_and_deleted_plans(client, aw):
    from coaching.services.plans import delete_plan

    today = timezone.localdate()
    with aw.tenant.scope():
        create_plan(organization=aw.tenant.org, manager=aw.coach, agent=aw.agent,
                    attribute_key="empathy", advice="Draft.", target_percent=80,
                    target_date=today + timedelta(days=7))
    gone = _sent(aw, aw.agent2, aw.coach)
    with aw.tenant.scope():
        delete_plan(plan=gone, actor=aw.coach)
    client.force_login(aw.coach)
    html = client.get(aw.tenant.url(BOARD)).content.decode()
    assert "No advice sent yet. Open" in html


def test_leaderboard_queries_stay_constant_as_sent_plans_grow(client, aw, sent):
    client.force_login(aw.admin)
    url = aw.tenant.url(BOARD)
    client.get(url)  # warm the per-process caches

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    three = count()
    extra = [aw.tenant.member(roles=["agent"], username=f"extra{i}") for i in range(3)]
    for user in extra:
        evaluate(aw, user, {"empathy": "no"}, hours_ago=24 * 12)
        _sent(aw, user, aw.admin, "greeting", days_ago=2)
    assert count() == three
    with scopes_disabled():
        assert len(selectors_plans.recently_sent(aw.tenant.org, aw.admin,
                                                 today=timezone.localdate())) == 5


def test_the_cards_follow_the_period_of_a_filter_swap(client, aw, sent):
    client.force_login(aw.coach)
    full = client.get(aw.tenant.url(BOARD)).content.decode()
    assert '<div id="dashboard-cards">' in full
    assert "Last 30 days" in full
    swap = client.get(aw.tenant.url(BOARD + "?period=7"), headers=HX)
    html = swap.content.decode()
    assert "<html" not in html
    assert html.count('id="leaderboard-results"') == 1
    assert '<div id="dashboard-cards" hx-swap-oob="true">' in html
    cards = html[html.index('id="dashboard-cards"'):]
    assert "Last 7 days" in cards and "Last 30 days" not in cards
    assert "vs previous 7 days" in cards and "Recently sent advice" in cards
    # The QA score card counts the week: alice's 4 audits 3 days ago (bob's 8 days ago and
    # alice's 20 days ago are outside it).
    [score] = [c for c in swap.context["cards"] if c["title"] == "Average QA score"]
    assert score["caption"].startswith("Last 7 days") and " n 4 " in score["caption"]


def test_the_swap_keeps_the_permission_matrix(client, aw, sent):
    url = aw.tenant.url(BOARD + "?period=7")
    response = client.get(url, headers=HX)
    assert response.status_code == 302 and "/login" in response["Location"]
    for user, status in ((aw.agent, 403), (aw.coach, 200), (aw.admin, 200),
                         (aw.outsider, 404)):
        client.force_login(user)
        assert client.get(url, headers=HX).status_code == status, user.username
