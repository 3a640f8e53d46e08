"""Dispute analytics: overturn rates with Wilson intervals by evaluator and attribute,
medians, SLA breaches and the disputed share per team for disputes planted through the
services; the period filter, "too few disputes to act", the permission matrix, the
navigation entry and a constant number of queries."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.models import Dispute, Evaluation
from quality.services.disputes import Decision, DisputedAttribute, decide_dispute, raise_dispute
from tenancy.models import TeamMember

from .conftest import make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

URL = "quality/disputes/analytics/"
FLIP = {"empathy": "yes"}  # default answers: every attribute yes except empathy no
_counter = iter(range(1, 1_000_000))


def set_min_reviews(org, n: int) -> None:
    with scopes_disabled():
        org.refresh_from_db()
        quality = dict((org.settings or {}).get("quality") or {})
        org.settings = {**(org.settings or {}), "quality": {**quality, "min_reviews": n}}
        org.save(update_fields=["settings"])


def plant(world, *, decisions: dict[str, str], agent=None, evaluator=None,
          raised_hours_ago: float = 24, decided_after: float | None = 2) -> Dispute:
    """A released audit of ``agent`` by ``evaluator`` (the QA analyst) whose agent disputes
    the attributes of ``decisions`` (key → "changed" | "upheld"), decided by the evaluator
    ``decided_after`` hours after it was raised (None: still open); raised
    ``raised_hours_ago``. The services write everything; the clock is then moved back."""
    agent = agent or world.agent
    evaluator = evaluator or world.qa
    evaluation = released_audit(world, agent=agent, evaluator=evaluator,
                                external_id=f"CHAT-A{next(_counter)}")
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=agent, items=[
            DisputedAttribute(key, "I did it.") for key in decisions])
        if decided_after is not None:
            decide_dispute(dispute=dispute, reviewer=evaluator, decisions=[
                Decision(key, decision, "Checked the transcript.",
                         FLIP.get(key, "no") if decision == "changed" else None)
                for key, decision in decisions.items()])
        raised = timezone.now() - timedelta(hours=raised_hours_ago)
        decided = None if decided_after is None else raised + timedelta(hours=decided_after)
        Dispute.objects.filter(pk=dispute.pk).update(
            raised_at=raised, due_at=raised + timedelta(hours=48), decided_at=decided)
        if decided is not None:
            Evaluation.objects.filter(pk=evaluation.pk).update(reviewed_at=decided)
        dispute.refresh_from_db()
    return dispute


@pytest.fixture
def card(world):
    org = world.tenant.org
    turn_disputes_on(org, max_rounds=1)  # a decision resolves the review
    return make_scorecard(org)


def analytics_of(login, user, world, query=""):
    page = login(user).get(world.tenant.url(URL + query))
    assert page.status_code == 200
    return page, page.context["analytics"]


def test_one_changed_of_one_is_rate_one_with_its_wilson_interval(world, card, login):
    plant(world, decisions={"empathy": "changed"})
    page, analytics = analytics_of(login, world.qa, world)
    [row] = analytics.by_evaluator
    assert (row.label, row.evaluator_id, row.share.part, row.share.n) == (
        world.qa.get_full_name(), world.qa.pk, 1, 1)
    assert row.share.rate == 1.0
    assert round(row.share.low, 3) == 0.207 and row.share.high == 1.0
    assert (row.share.enough, row.flagged, row.waiting) == (False, False, False)
    [attribute] = analytics.by_attribute
    assert (attribute.key, attribute.label, attribute.share.part, attribute.share.n) == (
        "empathy", "Empathy", 1, 1)
    html = page.content.decode()
    table = html[html.index('id="by-evaluator-table"'):]
    # The figures the lead's browser test reads: "1/1", the rate and its interval.
    assert '<td class="text-end overturn-n">1/1</td>' in table
    assert '<span class="overturn-rate">100.0%</span>' in table
    assert '[20.7–100.0%]' in table
    assert "Too few disputes to act" in table  # below the default minimum of 10
    assert "Send to calibration" not in html
    assert "even the low end of its interval is above 25 %" in html
    # The bar: the whole track, the whisker from 20.7 % to 100 % of it (150 + 300 × share).
    bar = page.context["evaluator_bars"]["rows"][0]
    assert (bar["length"], bar["whisker"]) == ("300.0", {"x1": "212.0", "x2": "450.0"})
    assert bar["colour"] == "#ced4da"  # grey: too few disputes to act
    assert page.context["evaluator_bars"]["threshold_x"] == "225.0"


def test_overturn_rates_by_evaluator_and_attribute(world, card, login):
    set_min_reviews(world.tenant.org, 3)
    # quinn: 4 of 5 disputed attributes changed; ada: 0 of 3.
    plant(world, decisions={"empathy": "changed", "greeting": "changed"})
    plant(world, decisions={"empathy": "changed", "greeting": "upheld"})
    plant(world, decisions={"empathy": "changed"})
    plant(world, decisions={"empathy": "upheld"}, evaluator=world.admin)
    plant(world, decisions={"empathy": "upheld", "greeting": "upheld"}, evaluator=world.admin)
    plant(world, decisions={"compliance": "changed"}, decided_after=None)  # open: not counted
    _, analytics = analytics_of(login, world.qa, world)
    by_evaluator = {r.evaluator_id: r for r in analytics.by_evaluator}
    quinn, ada = by_evaluator[world.qa.pk], by_evaluator[world.admin.pk]
    assert (quinn.share.part, quinn.share.n, quinn.share.rate) == (4, 5, 0.8)
    assert (round(quinn.share.low, 3), round(quinn.share.high, 3)) == (0.376, 0.964)
    assert (quinn.share.enough, quinn.flagged) == (True, True)
    assert (ada.share.part, ada.share.n, ada.share.rate) == (0, 3, 0.0)
    assert (round(ada.share.low, 3), round(ada.share.high, 3)) == (0.0, 0.561)
    assert ada.flagged is False
    assert [r.evaluator_id for r in analytics.by_evaluator] == [world.qa.pk, world.admin.pk]
    by_attribute = {r.key: r for r in analytics.by_attribute}
    assert set(by_attribute) == {"empathy", "greeting"}
    empathy, greeting = by_attribute["empathy"], by_attribute["greeting"]
    assert (empathy.share.part, empathy.share.n) == (3, 5)
    assert (round(empathy.share.low, 3), round(empathy.share.high, 3)) == (0.231, 0.882)
    assert empathy.flagged is False  # its lower bound is below 0.25
    assert (greeting.share.part, greeting.share.n) == (1, 3)
    assert (round(greeting.share.low, 3), round(greeting.share.high, 3)) == (0.061, 0.792)


def test_medians_and_sla_breaches(world, card, login):
    plant(world, decisions={"empathy": "changed"}, raised_hours_ago=100, decided_after=2)
    plant(world, decisions={"empathy": "upheld"}, raised_hours_ago=100, decided_after=10)
    plant(world, decisions={"empathy": "upheld"}, raised_hours_ago=100, decided_after=60)
    plant(world, decisions={"empathy": "changed"}, raised_hours_ago=50, decided_after=None)
    plant(world, decisions={"empathy": "changed"}, raised_hours_ago=1, decided_after=None)
    page, analytics = analytics_of(login, world.qa, world)
    assert (analytics.disputes, analytics.open, analytics.decided) == (5, 2, 3)
    assert analytics.median_decide_hours == pytest.approx(10.0)
    # Each audit's review ended with its (only) round's decision.
    assert analytics.evaluations_finished == 3
    assert analytics.median_evaluation_hours == pytest.approx(10.0)
    # Decided after 60 h against a 48 h SLA, and open 50 h: two of five.
    assert (analytics.sla.part, analytics.sla.n, analytics.sla.rate) == (2, 5, 0.4)
    html = page.content.decode()
    assert '<div class="fs-3 fw-semibold" id="median-decide">10.0 h</div>' in html
    assert 'id="sla-breaches">2 <span class="fs-6 fw-normal">of 5 · 40.0%</span>' in html


def test_period_filter_counts_disputes_raised_in_it(world, card, login):
    plant(world, decisions={"empathy": "changed"}, raised_hours_ago=24 * 40)
    plant(world, decisions={"empathy": "upheld"}, raised_hours_ago=24 * 2)
    _, last_30 = analytics_of(login, world.qa, world, "?period=30")
    _, last_90 = analytics_of(login, world.qa, world, "?period=90")
    assert [(r.share.part, r.share.n) for r in last_30.by_evaluator] == [(0, 1)]
    assert [(r.share.part, r.share.n) for r in last_90.by_evaluator] == [(1, 2)]
    _, default = analytics_of(login, world.qa, world, "?period=7")  # not a choice: 90 days
    assert default.days == 90


def test_disputed_share_per_team(world, card, login):
    set_min_reviews(world.tenant.org, 2)
    plant(world, decisions={"empathy": "changed"})  # alice (Care)
    plant(world, decisions={"empathy": "upheld"})  # alice
    released_audit(world, agent=world.agent2, external_id="CHAT-BOB")  # Care, not disputed
    released_audit(world, agent=world.agent, external_id="CHAT-ALICE")
    released_audit(world, agent=world.agent3, external_id="CHAT-DORA1")  # Billing
    plant(world, decisions={"greeting": "upheld"}, agent=world.agent3)
    _, analytics = analytics_of(login, world.qa, world)
    teams = {t.name: t.share for t in analytics.teams}
    assert {name: (s.part, s.n) for name, s in teams.items()} == {"Billing": (1, 2),
                                                                  "Care": (2, 4)}
    assert teams["Care"].rate == 0.5
    assert (round(teams["Care"].low, 3), round(teams["Care"].high, 3)) == (0.150, 0.850)
    # A coach sees the teams they coach and the disputes of their agents only.
    _, coached = analytics_of(login, world.coach, world)
    assert [(t.name, t.share.part, t.share.n) for t in coached.teams] == [("Care", 2, 4)]
    assert coached.disputes == 2 and coached.everyone is False
    assert [(r.share.part, r.share.n) for r in coached.by_evaluator] == [(1, 2)]


def test_audits_of_agents_in_no_team_count_under_no_team(world, card, login):
    """An agent in no team is not left out of the per-team shares (the table said "No
    audits released for review" although they had some): QA and admins see a No team row;
    a coach, who coaches teams, does not."""
    with scopes_disabled():
        TeamMember.objects.filter(user=world.agent3).delete()
    plant(world, decisions={"greeting": "upheld"}, agent=world.agent3)
    released_audit(world, agent=world.agent3, external_id="CHAT-DORA2")
    page, analytics = analytics_of(login, world.qa, world)
    assert [(t.name, t.share.part, t.share.n) for t in analytics.teams] == [("No team", 1, 2)]
    assert "No audits released for review in this period." not in page.content.decode()
    _, coached = analytics_of(login, world.coach, world)
    assert coached.teams == []


def test_permission_matrix_of_the_page(world, card, login, client):
    plant(world, decisions={"empathy": "changed"})
    plant(world, decisions={"greeting": "upheld"}, agent=world.agent3)
    url = world.tenant.url(URL)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    seen = {}
    for who in ("admin", "qa", "coach"):
        client.logout()
        page = login(getattr(world, who)).get(url)
        assert page.status_code == 200
        seen[who] = page.context["analytics"].disputes
        assert 'href="/o/acme/quality/disputes/analytics/"' in page.content.decode()
    assert seen == {"admin": 2, "qa": 2, "coach": 1}  # the coach: alice's dispute only
    client.logout()
    agent_page = login(world.agent).get(url)
    assert agent_page.status_code == 403
    assert "Dispute analytics" not in login(world.agent).get(
        world.tenant.url("quality/me/")).content.decode()
    client.logout()
    assert login(world.outsider).get(url).status_code == 404


def test_queries_stay_constant_as_disputes_grow(world, card, login, client,
                                                django_assert_num_queries):
    plant(world, decisions={"empathy": "changed"})
    url = world.tenant.url(URL)
    qa = login(world.qa)
    qa.get(url)  # warm the per-process caches (permissions, navigation)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert qa.get(url).status_code == 200
    for index in range(6):
        agent = world.agent if index % 2 else world.agent3
        evaluator = world.admin if index % 3 else world.qa
        plant(world, agent=agent, evaluator=evaluator, decided_after=None if index == 5 else 3,
              decisions={"empathy": "changed", "greeting": "upheld" if index % 2 else "changed"})
    with django_assert_num_queries(len(one)):
        page = qa.get(url)
    assert page.context["analytics"].disputes == 7
    with django_assert_num_queries(len(one)):
        qa.get(url + "?period=365")
