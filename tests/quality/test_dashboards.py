"""The quality leaderboard and "My quality": numbers from rollups written by the real
answer writer, verified-only automatic scores, intervals, the too-few label, the
permission matrix and a constant number of queries."""

import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import AttributeAgreement
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from quality.stats import mean_interval, wilson_interval

from .conftest import make_interaction, make_scorecard

T_9 = 2.2621571627982  # Student's t, 97.5 %, 9 degrees of freedom

THREE = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"]}),
    ("empathy", "Conversation", "Empathy", 30, False, {"rule": "agent_says", "phrases": ["sorry"]}),
    ("knowledge", "Conversation", "Product knowledge", 20, False, None),
]


@pytest.fixture
def card(world):
    org = world.tenant.org
    org.settings = {**(org.settings or {}), "quality": {"min_reviews": 2}}
    org.save(update_fields=["settings"])
    return make_scorecard(org, attributes=THREE)


def verify(world, attribute_key, *, verified=True, kappa=0.81, pairs=40, scorer="rule:1"):
    with scopes_disabled():
        AttributeAgreement.objects.create(
            organization=world.tenant.org, scorecard_key="customer-care",
            attribute_key=attribute_key, scorer=scorer, pairs=pairs, agreement=0.9,
            kappa=kappa, verified=verified,
        )


_counter = iter(range(1, 1_000_000))


def score(world, card, agent, answers, *, kind=EvaluationKind.AUTO, days_ago=2,
          scorer="rule:1"):
    """One evaluation through the real writer: auto (published) or an audit (submitted)."""
    org = world.tenant.org
    item = make_interaction(org, agent=agent, external_id=f"I-{next(_counter)}",
                            opened_at=timezone.now() - timedelta(days=days_ago))
    auto = kind == EvaluationKind.AUTO
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card, kind=kind,
                                     evaluator=None if auto else world.qa,
                                     scorer=scorer if auto else "")
        save_answers(evaluation=evaluation, actor=None, require_complete=True, answers=[
            AnswerInput(key, value, scorer=scorer if auto else "")
            for key, value in answers.items()])
        if auto:
            evaluation.publish()
        else:
            evaluation.submit()
        start_counting(evaluation, actor=None, action="scored")
    return evaluation


def ten_autos(world, card, agent, *, days_ago=2):
    """Greeting yes in 8 of 10, empathy yes in the even ones: totals 4×100, 4×25, 75, 0."""
    for i in range(10):
        score(world, card, agent, {"greeting": "yes" if i < 8 else "no",
                                   "empathy": "yes" if i % 2 == 0 else "no",
                                   "knowledge": "na"}, days_ago=days_ago)


def board_row(client, world, username, query=""):
    page = client.get(world.tenant.url(f"quality/leaderboard/{query}"))
    assert page.status_code == 200
    rows = {r.agent.username: r for r in page.context["board"].rows}
    return page, rows.get(username)


def test_auto_score_counts_only_verified_attributes(world, card, login):
    ten_autos(world, card, world.agent)
    verify(world, "greeting")
    verify(world, "empathy", verified=False, kappa=0.42, pairs=25)
    page, row = board_row(login(world.admin), world, "alice")
    # Only greeting's answers count: 8 of 10 → 80 points; t-interval of the 0/1 points.
    half = 100 * T_9 * math.sqrt((8 - 8 * 8 / 10) / 9 / 10)
    assert row.current.interactions == 10
    assert row.current.auto_from_attributes is True
    assert row.current.auto.value == pytest.approx(80.0, abs=1e-6)
    assert row.current.auto.low == pytest.approx(80.0 - half, abs=1e-6)
    assert row.current.auto.high == 100.0  # 80 + 30.2 is cut to the scale
    assert row.current.auto.n == 10
    greeting, empathy, knowledge = row.current.attributes
    _, low, high = wilson_interval(8, 10)
    assert (greeting[2], greeting[1].value, greeting[1].low, greeting[1].high) == (
        "auto", pytest.approx(80.0), pytest.approx(100 * low), pytest.approx(100 * high))
    assert (empathy[2], empathy[1].n) == ("", 0)  # unverified: not counted, no audit yet
    assert (knowledge[2], knowledge[1].n) == ("", 0)
    # The weeks use the same formula: greeting's answers only.
    [week] = [w for w in page.context["board"].weeks if w["auto"].n]
    assert (week["auto"].value, week["auto"].n) == (pytest.approx(80.0), 10)
    html = page.content.decode()
    assert "unverified" in html and "κ 0.42 · n 25" in html
    assert "The automatic score is the mean of automatic totals when every attribute" in html
    assert "<strong class=\"estimate-value\">80.0</strong>" in html


def test_auto_score_is_the_stored_total_when_every_scorer_is_verified(world, card, login):
    ten_autos(world, card, world.agent)
    verify(world, "greeting")
    verify(world, "empathy")
    _, row = board_row(login(world.qa), world, "alice")
    # totals 4×100 + 4×25 + 75 + 0 = 575, squares 40000 + 2500 + 5625 = 48125
    half = T_9 * math.sqrt((48125 - 575 ** 2 / 10) / 9 / 10)
    assert row.current.auto_from_attributes is False
    assert (row.current.auto.value, row.current.auto.n) == (pytest.approx(57.5), 10)
    assert row.current.auto.low == pytest.approx(57.5 - half, abs=1e-6)
    assert row.current.auto.high == pytest.approx(57.5 + half, abs=1e-6)
    assert mean_interval(10, 575, 48125)[1] == pytest.approx(57.5 - half, abs=1e-6)


def test_unverified_attribute_cells_fall_back_to_audits_and_too_few_says_so(world, card, login):
    ten_autos(world, card, world.agent)
    verify(world, "greeting")
    score(world, card, world.agent, {"greeting": "yes", "empathy": "no", "knowledge": "yes"},
          kind=EvaluationKind.MANUAL)
    page, row = board_row(login(world.admin), world, "alice")
    assert (row.current.audit.value, row.current.audit.n, row.current.audit.enough) == (
        pytest.approx(100 * 30 / 60), 1, False)
    empathy = row.current.attributes[1]
    assert (empathy[2], empathy[1].value, empathy[1].n) == ("audit", 0.0, 1)
    html = page.content.decode()
    too_few = "too few reviews to act</span> <span class=\"estimate-n small text-body-secondary\">"
    assert too_few + "n 1" \
        in html


def test_trend_needs_enough_reviews_in_both_periods(world, card, login):
    verify(world, "greeting")
    verify(world, "empathy")
    ten_autos(world, card, world.agent)
    score(world, card, world.agent2, {"greeting": "yes", "empathy": "yes", "knowledge": "na"})
    for _ in range(2):
        score(world, card, world.agent, {"greeting": "yes", "empathy": "yes",
                                         "knowledge": "na"}, days_ago=40)
        score(world, card, world.agent2, {"greeting": "yes", "empathy": "yes",
                                          "knowledge": "na"}, days_ago=40)
    client = login(world.admin)
    _, alice = board_row(client, world, "alice")
    _, bob = board_row(client, world, "bob")
    assert alice.trend == pytest.approx(57.5 - 100.0)
    assert bob.trend is None  # one review this period: below the minimum of 2
    _, alice_week = board_row(client, world, "alice", "?period=7")
    assert alice_week.previous.auto.n == 0 and alice_week.trend is None


def test_permission_matrix_of_the_leaderboard(world, card, login, client):
    verify(world, "greeting")
    for agent in (world.agent, world.agent2, world.agent3):
        score(world, card, agent, {"greeting": "yes", "empathy": "yes", "knowledge": "na"})
    seen = {}
    for who in ("admin", "qa", "coach"):
        client.logout()
        page = login(getattr(world, who)).get(world.tenant.url("quality/leaderboard/"))
        assert page.status_code == 200
        seen[who] = sorted(r.agent.username for r in page.context["board"].rows)
    assert seen == {"admin": ["alice", "bob", "dora"], "qa": ["alice", "bob", "dora"],
                    "coach": ["alice", "bob"]}
    client.logout()
    assert login(world.agent).get(world.tenant.url("quality/leaderboard/")).status_code == 403
    client.logout()
    assert login(world.outsider).get(world.tenant.url("quality/leaderboard/")).status_code == 404
    client.logout()
    coach = login(world.coach)
    # A team the coach does not manage is not a choice: the form refuses it, and the page
    # falls back to the agents they coach.
    page = coach.get(world.tenant.url(f"quality/leaderboard/?team={world.team2.pk}"))
    assert sorted(r.agent.username for r in page.context["board"].rows) == ["alice", "bob"]
    assert "team" in page.context["form"].errors


def test_team_filter_lists_members_without_reviews(world, card, login):
    verify(world, "greeting")
    score(world, card, world.agent, {"greeting": "yes", "empathy": "yes", "knowledge": "na"})
    page = login(world.admin).get(world.tenant.url(f"quality/leaderboard/?team={world.team.pk}"))
    rows = {r.agent.username: r for r in page.context["board"].rows}
    assert sorted(rows) == ["alice", "bob"]
    assert rows["bob"].current.interactions == 0 and rows["bob"].current.auto.n == 0


def test_my_quality_shows_only_the_agents_own_numbers_and_released_audits(world, card, login,
                                                                          client):
    verify(world, "greeting")
    ten_autos(world, card, world.agent)
    ten_autos(world, card, world.agent2)
    mine = score(world, card, world.agent, {"greeting": "yes", "empathy": "yes",
                                            "knowledge": "yes"}, kind=EvaluationKind.MANUAL)
    score(world, card, world.agent2, {"greeting": "yes", "empathy": "yes", "knowledge": "yes"},
          kind=EvaluationKind.MANUAL)
    page = login(world.agent).get(world.tenant.url("quality/me/"))
    assert page.status_code == 200
    assert [r.agent.username for r in page.context["board"].rows] == ["alice"]
    assert page.context["row"].current.auto.value == pytest.approx(80.0)
    assert list(page.context["page"].object_list) == []  # submitted, not released yet
    with scopes_disabled():
        mine.release()
        mine.released_at = timezone.now()
        mine.save(update_fields=["state", "released_at"])
    page = client.get(world.tenant.url("quality/me/"))
    assert [e.pk for e in page.context["page"].object_list] == [mine.pk]
    assert f'href="/o/acme/quality/evaluations/{mine.pk}/"' in page.content.decode()
    assert "bob" not in page.content.decode()
    client.logout()
    assert login(world.outsider).get(world.tenant.url("quality/me/")).status_code == 404


def test_my_quality_shows_the_review_state_of_each_released_audit(world, login):
    from quality.services.disputes import acknowledge

    from .conftest import released_audit, turn_disputes_on

    turn_disputes_on(world.tenant.org, window_days=7)
    waiting = released_audit(world, external_id="CHAT-W")
    accepted = released_audit(world, external_id="CHAT-A")
    with scopes_disabled():
        acknowledge(evaluation=accepted, agent=world.agent)
        waiting.refresh_from_db()
    html = login(world.agent).get(world.tenant.url("quality/me/")).content.decode()
    due = waiting.review_due_at.astimezone(world.tenant.org.tzinfo)
    assert re.search(r'data-review-state="pending_agent"><a [^>]*>Pending agent review</a> '
                     rf'<span class="small text-body-secondary">answer by {due:%-d %b %Y}',
                     html)
    assert '<td data-review-state="accepted"><span class="badge text-bg-light border">' \
        'Accepted</span></td>' in html


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _rollup_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum("quality_scorerollup" in q["sql"] for q in queries.captured_queries)


def test_leaderboard_queries_stay_constant_as_agents_grow(world, card, login, client,
                                                          django_assert_num_queries):
    verify(world, "greeting")
    url = world.tenant.url("quality/leaderboard/")
    for agent in (world.agent, world.agent2):
        score(world, card, agent, {"greeting": "yes", "empathy": "no", "knowledge": "na"})
        score(world, card, agent, {"greeting": "yes", "empathy": "no", "knowledge": "na"},
              days_ago=40)
    admin = login(world.admin)
    admin.get(url)  # warm the per-process caches (permissions, navigation)
    two = _count(admin, url)
    # The rollups are read in three grouped queries: every agent's period, the previous
    # period of the page's agents, the weeks; and two by coaching's contact-center cards
    # (the QA score of this period and of the previous one).
    assert _rollup_queries(admin, url) == 5
    for index in range(6):
        agent = world.tenant.member(roles=["agent"], username=f"extra{index}")
        score(world, card, agent, {"greeting": "no", "empathy": "yes", "knowledge": "na"})
        score(world, card, agent, {"greeting": "no", "empathy": "yes", "knowledge": "na"},
              days_ago=40)
    with django_assert_num_queries(two):
        page = admin.get(url)
    assert len(page.context["board"].rows) == 8
    assert _rollup_queries(admin, url) == 5
    with django_assert_num_queries(two):
        admin.get(url + "?period=90")


def test_rows_rank_best_automatic_score_first_and_page(world, card):
    """Ranked on every agent's automatic score, too few reviews last; only the page's
    agents get per-attribute numbers and a trend."""
    from quality import selectors

    verify(world, "greeting")
    verify(world, "empathy")
    ten_autos(world, card, world.agent)  # alice: 57.5 over 10
    for _ in range(2):  # bob: 100 over 2 now, 25 over 2 in the previous period
        score(world, card, world.agent2, {"greeting": "yes", "empathy": "yes",
                                          "knowledge": "na"})
        score(world, card, world.agent2, {"greeting": "yes", "empathy": "no",
                                          "knowledge": "na"}, days_ago=40)
    score(world, card, world.agent3, {"greeting": "yes", "empathy": "yes",
                                      "knowledge": "na"})  # dora: one review, too few
    org = world.tenant.org
    today = timezone.localdate(timezone=org.tzinfo)
    with scopes_disabled():
        first = selectors.leaderboard(org, scorecard=card, today=today, days=30, agents=None,
                                      per_page=2)
        second = selectors.leaderboard(org, scorecard=card, today=today, days=30,
                                       agents=None, page=2, per_page=2)
        beyond = selectors.leaderboard(org, scorecard=card, today=today, days=30,
                                       agents=None, page="x", per_page=2)
    assert (first.agent_count, first.page.paginator.num_pages) == (3, 2)
    assert [(r.agent.username, r.current.auto.value, r.current.auto.n) for r in first.rows] == [
        ("bob", pytest.approx(100.0), 2), ("alice", pytest.approx(57.5), 10)]
    bob, alice = first.rows
    assert bob.trend == pytest.approx(100.0 - 25.0)
    assert (bob.previous.auto.value, bob.previous.auto.n) == (pytest.approx(25.0), 2)
    assert alice.trend is None  # nothing in the previous period
    greeting = alice.current.attributes[0]
    assert (greeting[2], greeting[1].value, greeting[1].n) == ("auto", pytest.approx(80.0), 10)
    [dora] = second.rows
    assert (dora.agent.username, dora.current.auto.n, dora.current.auto.enough) == (
        "dora", 1, False)
    assert [a.key for a, _, _ in dora.current.attributes] == ["greeting", "empathy",
                                                              "knowledge"]
    assert [r.agent.username for r in beyond.rows] == ["bob", "alice"]  # a bad page: the first
    # Everyone's numbers and the weeks still cover all three agents.
    assert first.overall.auto.n == second.overall.auto.n == 10 + 2 + 1
    assert sum(w["auto"].n for w in first.weeks) == 13


def test_leaderboard_page_links_keep_the_filters(world, card, login):
    """More than 100 agents: the table shows 100 and links to the next page, keeping the
    period (rollups written directly: paging does not depend on how they were made)."""
    from quality.models import ScoreRollup
    from tenancy.models import Membership, User

    org = world.tenant.org
    day = timezone.localdate(timezone=org.tzinfo) - timedelta(days=1)
    with scopes_disabled():
        users = User.objects.bulk_create([User(username=f"p{i:03}") for i in range(101)])
        Membership.objects.bulk_create([Membership(organization=org, user=u, is_agent=True)
                                        for u in users])
        ScoreRollup.objects.bulk_create([
            ScoreRollup(organization=org, agent=u, day=day, kind="auto",
                        scorecard_key=card.key, attribute_key="", scorer="rule:1", n=2,
                        total=2 * i, total_sq=2 * i * i) for i, u in enumerate(users)])
    client = login(world.admin)
    page = client.get(world.tenant.url("quality/leaderboard/?period=7"))
    html = page.content.decode()
    board = page.context["board"]
    assert (len(board.rows), board.agent_count) == (100, 101)
    assert board.rows[0].agent.username == "p100"  # the best score, 100
    assert "Agents 1–100 of 101, best automatic score first" in html
    assert 'href="?period=7&amp;page=2"' in html
    second = client.get(world.tenant.url("quality/leaderboard/?period=7&page=2"),
                        headers={"HX-Request": "true", "HX-Target": "leaderboard-results"})
    assert [r.agent.username for r in second.context["board"].rows] == ["p000"]
    assert "Agents 101–101 of 101" in second.content.decode()
    assert "<html" not in second.content.decode()  # the results only, for htmx
