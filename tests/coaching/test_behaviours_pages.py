"""Behaviour coaching pages: team performance with the agents' breakout and robust-z
outliers, Coaching required (frequency × impact with n), the agent overview with "about
me", the directory of agents, the quality home's contact-center cards; exact numbers from
audits written by the real answer writer, the permission matrix and constant queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching import selectors_behaviours as sel
from tenancy.models import Membership, TeamMember

from .assignment_fixtures import aw_fixture  # noqa: F401
from .test_behaviours_selectors import evaluate

PAGES = ("coaching/behaviours/", "coaching/behaviours/required/",
         "coaching/behaviours/agents/")


@pytest.fixture(name="bw")
def bw_fixture(aw):
    """alice fails empathy in 3 of 4 audits (totals 80, 80, 80, 100); bob passes all 4;
    dora (Billing) passes 2. min reviews 2; handle times on alice's interactions."""
    org = aw.tenant.org
    org.settings = {**(org.settings or {}), "quality": {"min_reviews": 2}}
    org.save(update_fields=["settings"])
    for value in ("no", "no", "no", "yes"):
        evaluate(aw, aw.agent, {"empathy": value})
    for _ in range(4):
        evaluate(aw, aw.agent2, {})
    for _ in range(2):
        evaluate(aw, aw.agent3, {})
    return aw


def test_team_performance_scores_each_behaviour_with_the_agents_breakout(bw, client):
    client.force_login(bw.coach)
    page = client.get(bw.tenant.url("coaching/behaviours/"))
    assert page.status_code == 200
    performance = page.context["performance"]
    assert page.context["team"] == bw.team
    empathy = next(r for r in performance.rows if r.attribute.key == "empathy")
    assert (empathy.estimate.value, empathy.estimate.n) == (62.5, 8)
    assert [(c.agent.username, c.estimate.value, c.estimate.n) for c in empathy.agents] == [
        ("alice", 25.0, 4), ("bob", 100.0, 4)]
    # Two agents with enough reviews: too few to mark outliers, and the page says so.
    assert empathy.outliers_note == (
        "Outliers are marked once 3 agents have at least 2 reviews each; 2 have.")
    assert (performance.overall.value, performance.overall.n) == (92.5, 8)
    html = page.content.decode()
    assert "Outliers are marked once 3 agents have at least 2 reviews each; 2 have." in html
    assert bw.tenant.url(f"coaching/behaviours/agents/{bw.agent.pk}/") in html


def test_robust_z_marks_the_agent_far_from_the_median():
    zs, median, mad = sel.robust_z([90.0, 92.0, 91.0, 89.0, 40.0])
    assert (median, mad) == (90.0, 1.0)
    assert [round(z, 4) for z in zs] == [0.0, 1.349, 0.6745, -0.6745, -33.725]
    assert sel.robust_z([80.0, 80.0, 80.0]) == ([None, None, None], 80.0, 0.0)


def test_outliers_are_marked_among_enough_agents(bw):
    with scopes_disabled():
        extra = [bw.tenant.member(username=f"extra{i}") for i in range(3)]
        for user in extra:
            TeamMember.objects.create(organization=bw.tenant.org, team=bw.team, user=user)
            evaluate(bw, user, {})
            evaluate(bw, user, {"empathy": "yes" if user.username != "extra2" else "no"})
        agents = [bw.agent, bw.agent2, *extra]
        start, end = sel.period_of(timezone.localdate(), 30)
        performance = sel.team_performance(bw.tenant.org, agents=agents, start=start, end=end)
    empathy = next(r for r in performance.rows if r.attribute.key == "empathy")
    # Means 25, 100, 100, 100, 50: median 100, MAD 0 → no spread to measure against.
    assert empathy.outliers_note == (
        "Outliers not marked: the agents' scores do not spread (MAD 0).")
    greeting = next(r for r in performance.rows if r.attribute.key == "greeting")
    assert greeting.outliers_note.startswith("Outliers not marked")


def test_coaching_required_ranks_by_frequency_times_impact(bw, client):
    client.force_login(bw.coach)
    page = client.get(bw.tenant.url("coaching/behaviours/required/"))
    assert page.status_code == 200
    [need] = page.context["page"].object_list
    # Team average of empathy over alice and bob: 5 of 8 = 62.5; weight 20 of 100.
    assert (need.agent.username, need.attribute.key, need.failures, need.n) == (
        "alice", "empathy", 3, 4)
    assert (need.frequency.value, need.team_score) == (75.0, 62.5)
    assert need.impact == pytest.approx(7.5)
    assert need.priority == pytest.approx(5.625)
    html = page.content.decode()
    assert "3 of 4 failed" in html and "+7.5 pts" in html
    # Everyone's average (alice, bob, dora: 7 of 10) for the org admin.
    client.force_login(bw.admin)
    [need] = client.get(bw.tenant.url("coaching/behaviours/required/")).context[
        "page"].object_list
    assert (need.team_score, round(need.impact, 6)) == (70.0, 9.0)


def test_coaching_required_links_to_create_a_plan_when_that_page_exists(bw, client):
    from django.urls import NoReverseMatch, reverse

    client.force_login(bw.coach)
    html = client.get(bw.tenant.url("coaching/behaviours/required/")).content.decode()
    try:
        url = reverse("coaching:plan_create", kwargs={"org_slug": bw.tenant.org.slug})
    except NoReverseMatch:
        assert "Create a plan" not in html
    else:
        assert f'{url}?agent={bw.agent.pk}&amp;attribute=empathy' in html


def test_agent_overview_shows_about_me_metrics_and_behaviours(bw, client):
    with scopes_disabled():
        Membership.objects.filter(user=bw.agent).update(about="Ten years in billing.")
        from work.models import WorkItem

        items = WorkItem.objects.filter(assigned_to=bw.agent).order_by("pk")
        items.update(handle_time_seconds=300)
        items.filter(pk=items[0].pk).update(handle_time_seconds=500)
    client.force_login(bw.coach)
    page = client.get(bw.tenant.url(f"coaching/behaviours/agents/{bw.agent.pk}/"))
    assert page.status_code == 200
    overview = page.context["overview"]
    assert (overview.score.value, overview.score.n) == (85.0, 4)
    assert (overview.activity.interactions, overview.activity.handle_time,
            overview.activity.handle_n) == (4, 350.0, 4)
    empathy = next(b for b in overview.behaviours if b.attribute.key == "empathy")
    assert (empathy.estimate.value, empathy.estimate.n) == (25.0, 4)
    assert [w["n"] for w in empathy.weeks if w["n"]] == [4]  # all audited this week
    assert empathy.weeks[-1] == {"week": overview.end - timedelta(days=overview.end.weekday()),
                                 "value": 25.0, "n": 4}
    assert [(n.attribute.key, n.impact) for n in overview.needs] == [("empathy", 7.5)]
    html = page.content.decode()
    assert "Ten years in billing." in html
    assert '<svg class="sparkline"' in html
    assert "5:50" in html  # the mean handle time, minutes:seconds


def test_my_profile_saves_about_me(bw, client):
    client.force_login(bw.agent)
    page = client.post(bw.tenant.url("me/profile/about/"), {"about": "  I like puzzles.  "})
    assert page.status_code == 302
    with scopes_disabled():
        assert Membership.objects.get(user=bw.agent).about == "I like puzzles."
    assert "I like puzzles." in client.get(bw.tenant.url("me/profile/")).content.decode()
    too_long = client.post(bw.tenant.url("me/profile/about/"), {"about": "x" * 4001})
    assert too_long.status_code == 400
    assert "Ensure this value has at most 4000 characters" in too_long.content.decode()


def test_directory_shows_needs_coaching_improving_search_and_coaching(bw, client):
    # bob was weaker the 30 days before: two audits failing empathy 35 days ago.
    for _ in range(2):
        evaluate(bw, bw.agent2, {"empathy": "no"}, hours_ago=24 * 35)
    client.force_login(bw.admin)
    page = client.get(bw.tenant.url("coaching/behaviours/agents/"))
    assert page.status_code == 200
    rows = {r.agent.username: r for r in page.context["page"].object_list}
    assert set(rows) == {"alice", "bob", "dora"}
    # alice's empathy: 1 of 4 passed, Wilson [6.1–69.9] lies below everyone's 7 of 10.
    assert (rows["alice"].score.value, rows["alice"].weak) == (85.0, ["Empathy"])
    assert (rows["bob"].previous.value, rows["bob"].change, rows["bob"].improving) == (
        80.0, 20.0, True)
    improving = client.get(bw.tenant.url("coaching/behaviours/agents/?show=improving"))
    assert [r.agent.username for r in improving.context["page"].object_list] == ["bob"]
    found = client.get(bw.tenant.url("coaching/behaviours/agents/?q=dor"))
    assert [r.agent.username for r in found.context["page"].object_list] == ["dora"]


def test_directory_needs_coaching_when_a_behaviour_is_clearly_below_average(bw, client):
    for _ in range(8):
        evaluate(bw, bw.agent, {"empathy": "no"})
        evaluate(bw, bw.agent2, {})
    client.force_login(bw.coach)
    page = client.get(bw.tenant.url("coaching/behaviours/agents/?show=needs"))
    rows = page.context["page"].object_list
    assert [(r.agent.username, r.weak) for r in rows] == [("alice", ["Empathy"])]


def test_quality_home_cards_show_score_handle_time_and_interactions(bw, client):
    with scopes_disabled():
        from work.models import WorkItem

        WorkItem.objects.filter(assigned_to=bw.agent).update(handle_time_seconds=330)
    evaluate(bw, bw.agent2, {}, hours_ago=24 * 40)  # the previous 30 days
    client.force_login(bw.coach)
    page = client.get(bw.tenant.url("quality/leaderboard/"))
    cards = {c["title"]: c for c in page.context["cards"]}
    assert cards["Average QA score"]["value"] == "92.5"
    assert cards["Average QA score"]["caption"] == (
        "Last 30 days [83.8–100.0] · n 8 · previous 30 days: too few to compare (n 1)")
    assert cards["Average handle time"]["value"] == "5:30"
    assert cards["Average handle time"]["caption"] == (
        "Last 30 days · n 4 · previous 30 days: too few to compare (n 0)")
    assert cards["Interactions"]["value"] == "8"
    assert cards["Interactions"]["caption"] == "Last 30 days · +7 vs previous 30 days (1)"
    client.force_login(bw.agent)
    assert client.get(bw.tenant.url("quality/leaderboard/")).status_code == 403


# --- the permission matrix ----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_pages_permission_matrix(bw, client, path):
    assert client.get(bw.tenant.url(path)).status_code == 302  # anonymous: to sign in
    for user, status in ((bw.agent, 403), (bw.coach, 200), (bw.coach2, 200), (bw.qa, 200),
                         (bw.admin, 200), (bw.outsider, 404)):
        client.force_login(user)
        assert client.get(bw.tenant.url(path)).status_code == status, user.username


def test_agent_overview_permission_matrix(bw, client):
    alice = bw.tenant.url(f"coaching/behaviours/agents/{bw.agent.pk}/")
    assert client.get(alice).status_code == 302
    for user, status in ((bw.agent, 200), (bw.agent2, 403), (bw.coach, 200),
                         (bw.coach2, 404), (bw.qa, 200), (bw.admin, 200), (bw.outsider, 404)):
        client.force_login(user)
        assert client.get(alice).status_code == status, user.username
    client.force_login(bw.coach)
    assert client.get(bw.tenant.url(
        f"coaching/behaviours/agents/{bw.agent3.pk}/")).status_code == 404
    assert client.get(bw.tenant.url(
        f"coaching/behaviours/agents/{bw.outsider.pk}/")).status_code == 404


def test_coach_sees_only_the_agents_they_coach(bw, client):
    client.force_login(bw.coach2)
    rows = client.get(bw.tenant.url("coaching/behaviours/agents/")).context["page"].object_list
    assert [r.agent.username for r in rows] == ["dora"]
    page = client.get(bw.tenant.url(f"coaching/behaviours/?team={bw.team.pk}"))
    assert page.context["team"] == bw.team2  # a team they do not coach is not offered


# --- constant queries -----------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)  # the first request after signing in reads the session once more
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _more_agents(bw, count=6):
    with scopes_disabled():
        for i in range(count):
            user = bw.tenant.member(username=f"more{i}")
            TeamMember.objects.create(organization=bw.tenant.org, team=bw.team, user=user)
            evaluate(bw, user, {"empathy": "no"})
            evaluate(bw, user, {}, hours_ago=24 * 40)


@pytest.mark.parametrize("path", [*PAGES, "quality/leaderboard/", "agent"])
def test_pages_keep_a_constant_number_of_queries(bw, client, django_assert_num_queries,
                                                 path):
    client.force_login(bw.coach)
    url = bw.tenant.url(f"coaching/behaviours/agents/{bw.agent.pk}/" if path == "agent"
                        else path)
    few = _count(client, url)
    _more_agents(bw)
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


def test_weeks_start_on_monday():
    first = timezone.localdate()
    assert sel.period_of(first, 7) == (first - timedelta(days=6), first)
    assert sel.previous_of(first - timedelta(days=6), first) == (
        first - timedelta(days=13), first - timedelta(days=7))


def test_directory_shows_the_latest_coaching_plan_status(bw, client):
    from coaching.services.plans import create_plan, send_plan

    with bw.tenant.scope():
        plan = create_plan(organization=bw.tenant.org, manager=bw.coach, agent=bw.agent,
                           attribute_key="empathy", advice="Name the feeling first.",
                           target_percent=85,
                           target_date=timezone.localdate() + timedelta(days=14))
        send_plan(plan=plan, actor=bw.coach)
    client.force_login(bw.coach)
    rows = {r.agent.username: r for r in client.get(
        bw.tenant.url("coaching/behaviours/agents/")).context["page"].object_list}
    assert (rows["alice"].coaching, rows["bob"].coaching) == ("Plan: Shared", "")
    assert "Plan: Shared" in client.get(
        bw.tenant.url("coaching/behaviours/agents/")).content.decode()


def test_impact_of_a_critical_behaviour_counts_the_zeroed_totals(aw, client):
    """alice: compliance (critical, weight 20) fails once → that total is 0; empathy fails
    once → 80; two all-yes → 100: overall 70 over 4. bob: four all-yes. Team (carl's):
    compliance fails 1 of 8, empathy 1 of 8."""
    org = aw.tenant.org
    org.settings = {**(org.settings or {}), "quality": {"min_reviews": 2}}
    org.save(update_fields=["settings"])
    for answers in ({"compliance": "no"}, {"empathy": "no"}, {}, {}):
        evaluate(aw, aw.agent, answers)
    for _ in range(4):
        evaluate(aw, aw.agent2, {})
    client.force_login(aw.coach)
    page = client.get(aw.tenant.url("coaching/behaviours/required/"))
    needs = page.context["page"].object_list
    # Compliance: (1/4 − 1/8) of the interactions stop being 0, each worth alice's
    # weighted points with compliance passed: 100 × (10 + 20·3/4 + 20 + 20 + 15 + 15) / 100
    # = 95 → + 11.875 points. Empathy: only the 3 of 4 interactions not zeroed gain:
    # (1 − 1/4) × 100 × 20 × (7/8 − 3/4) / 100 = 1.875 (without the critical rule: 2.5 each).
    assert [(n.attribute.key, n.impact) for n in needs] == [
        ("compliance", pytest.approx(11.875)), ("empathy", pytest.approx(1.875))]
    assert needs[0].priority == pytest.approx(0.25 * 11.875)
    html = page.content.decode()
    assert "+11.9 pts" in html and "+1.9 pts" in html
    assert "A failed critical behaviour sets an interaction&#x27;s total to 0" in html
    assert '<span class="badge text-bg-warning fw-normal"' in html


def test_impact_of_a_critical_behaviour_when_every_total_was_zeroed():
    """Every interaction zeroed: the rescued ones are valued at the weighted points with
    the critical behaviour passed; the stored totals are not used (automatic totals may
    never answer a critical behaviour that only audits check)."""
    from quality.enums import TOTAL_KEY
    from quality.selectors import AttributeState

    def state(key, weight, critical=False):
        return AttributeState(key=key, name=key, weight=weight, scale=False,
                              automatic=False, verified=False, verified_scorers=frozenset(),
                              kappa=None, pairs=0, critical=critical)

    safety, tone = state("safety", 50, critical=True), state("tone", 50)
    mine = {TOTAL_KEY: sel.Sums(2, 100.0, 10000.0, 0), "safety": sel.Sums(2, 0.0, 0.0, 2),
            "tone": sel.Sums(2, 1.0, 1.0, 1)}
    team = sel.Sums(10, 6.0, 6.0, 4)  # the team passes safety 6 of 10
    # rescued: 2/2 − 4/10 = 0.6, each worth 100 × (50·1 + 50·0.5) / 100 = 75.
    assert sel.impact_of(mine, safety, team, [safety, tone]) == pytest.approx(45.0)
    # tone: every interaction is zeroed, so improving it alone adds nothing.
    assert sel.impact_of(mine, tone, sel.Sums(10, 9.0, 9.0, 1), [safety, tone]) == 0.0


def test_agents_menu_links_their_own_overview_and_plans(bw, client):
    """The agent's "Me" links reach their overview ("My performance"), which links their
    plans on My coaching, which links back; anyone else's overview stays 403."""
    url = bw.tenant.url("coaching/behaviours/me/")
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(bw.agent)
    home = client.get(bw.tenant.url("me/"))
    assert [(e["label"], e["url"]) for e in home.context["agent_nav"]()
            if e["label"] == "My performance"] == [("My performance", url)]
    html = home.content.decode()
    assert f'href="{url}">My performance</a>' in html
    assert f'href="{url}" data-testid="my-overview-link"' in html  # from the plans section
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["agent"] == bw.agent
    assert (page.context["overview"].score.value, page.context["overview"].score.n) == (85.0, 4)
    assert (f'href="{bw.tenant.url("me/")}#my-plans" data-testid="my-plans-link"'
            in page.content.decode())
    assert client.get(bw.tenant.url(f"coaching/behaviours/agents/{bw.agent2.pk}/")
                      ).status_code == 403
    # A manager looking at alice gets no "My coaching plans" button (it is not theirs).
    client.force_login(bw.coach)
    other = client.get(bw.tenant.url(f"coaching/behaviours/agents/{bw.agent.pk}/"))
    assert 'data-testid="my-plans-link"' not in other.content.decode()
    client.force_login(bw.outsider)
    assert client.get(url).status_code == 404


def test_directory_pages_in_the_database_against_everyones_average(bw, client, monkeypatch):
    """Unfiltered, the database pages the agents and only the page's are read; a page of one
    still judges "needs coaching" against every listed agent: alice's empathy 1 of 4 (Wilson
    high 69.9) is below everyone's 7 of 10, not below her own 25."""
    monkeypatch.setattr(sel, "PAGE_SIZE", 1)
    client.force_login(bw.admin)
    url = bw.tenant.url("coaching/behaviours/agents/")
    first = client.get(url).context["page"]
    assert (first.paginator.count, first.paginator.num_pages) == (3, 3)
    assert [(r.agent.username, r.weak) for r in first.object_list] == [("alice", ["Empathy"])]
    assert [(r.agent.username, r.score.value, r.weak)
            for r in client.get(url, {"page": 3}).context["page"].object_list] == [
        ("dora", 100.0, [])]
    assert [r.agent.username for r in client.get(
        url, {"page": 9}).context["page"].object_list] == ["dora"]  # out of range: the last
    found = client.get(url, {"q": "o"}).context["page"]  # bob and dora
    assert (found.paginator.count, [r.agent.username for r in found.object_list]) == (
        2, ["bob"])
