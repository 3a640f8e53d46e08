"""The coaching monitor: rows, filters (one date filter at a time), the Compare toggle,
agent progress with n, the coaching effect on real evaluations, the overview's effect
card, the progress API; the permission matrix and constant query counts."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingAssignment
from coaching.selectors_monitor import assessment_effects, scoring_of
from coaching.services.assignments import create_assignment_from_evaluation
from quality.enums import EvaluationKind
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tenancy.models import TeamMember
from tenancy.services import create_api_token
from tests.quality.conftest import make_interaction

from .assignment_fixtures import ALL_YES, aw_fixture, follow_up  # noqa: F401

pytestmark = pytest.mark.django_db


def _audit(aw, agent, day, empathy: bool):
    """A submitted audit of a new interaction of ``agent`` at noon on ``day``: every
    attribute yes but empathy as given (total 80 + 20 × empathy)."""
    aw._n += 1
    opened = datetime.combine(day, time(12), aw.tenant.org.tzinfo)
    item = make_interaction(aw.tenant.org, agent=agent, external_id=f"MON-{aw._n}",
                            turns=[("agent", "Hello"), ("customer", "Hi")], opened_at=opened)
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=aw.card,
                                     kind=EvaluationKind.MANUAL, evaluator=aw.qa)
        answers = {**ALL_YES, "empathy": "yes" if empathy else "no"}
        save_answers(evaluation=evaluation, actor=aw.qa, require_complete=True,
                     answers=[AnswerInput(k, v) for k, v in answers.items()])
        evaluation.submit()
        start_counting(evaluation, actor=aw.qa, action="submitted")
    return evaluation


def _today(aw):
    return timezone.localdate(timezone=aw.tenant.org.tzinfo)


def _assign(aw, agent, *, assigned_days_ago=6, areas=("empathy",), name=None):
    evaluation = _audit(aw, agent, _today(aw), True)
    with aw.tenant.scope():
        assignment = create_assignment_from_evaluation(
            evaluation=evaluation, assigner=aw.coach if agent != aw.agent3 else aw.qa,
            name=name or f"Coaching {agent.username}", area_keys=list(areas),
            follow_up_date=follow_up())
    with scopes_disabled():  # assignments are dated today by the service: move it back
        CoachingAssignment.objects.filter(pk=assignment.pk).update(
            assigned_date=_today(aw) - timedelta(days=assigned_days_ago))
        assignment.refresh_from_db()
    return assignment


@pytest.fixture
def scene(aw):
    """alice (team Care, coached on empathy, assigned 6 days ago): empathy 1 of 4 before,
    4 of 5 now (the day's assignment audit included); her team mates bob, cy, di, ed: 1 of 4
    before, 2 of 4 after; dora (Billing, alone): coached, with one audit before."""
    today = _today(aw)
    mates = [aw.agent2]
    for name in ("cy", "di", "ed"):
        user = aw.tenant.member(roles=["agent"], username=name)
        with scopes_disabled():
            TeamMember.objects.create(organization=aw.tenant.org, team=aw.team, user=user)
        mates.append(user)
    before = [today - timedelta(days=d) for d in (12, 11, 10, 9)]
    after = [today - timedelta(days=d) for d in (5, 4, 3, 2)]
    for day, yes in zip(before, (True, False, False, False), strict=True):
        _audit(aw, aw.agent, day, yes)
    for day, yes in zip(after, (True, True, True, False), strict=True):
        _audit(aw, aw.agent, day, yes)
    for mate in mates:
        for day, yes in zip(before, (True, False, False, False), strict=True):
            _audit(aw, mate, day, yes)
        for day, yes in zip(after, (True, True, False, False), strict=True):
            _audit(aw, mate, day, yes)
    _audit(aw, aw.agent3, today - timedelta(days=9), False)
    alice = _assign(aw, aw.agent)
    dora = _assign(aw, aw.agent3, areas=("empathy", "greeting", "etiquette"))
    return {"alice": alice, "dora": dora, "today": today}


def _url(aw, path=""):
    return aw.tenant.url(f"coaching/monitor/{path}")


# --- permissions ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "effects/", "DETAIL"])
def test_monitor_permission_matrix(aw, scene, client, path):
    path = f"{scene['alice'].pk}/" if path == "DETAIL" else path
    url = _url(aw, path)
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    for user, status in ((aw.agent, 403), (aw.coach, 200), (aw.qa, 200), (aw.admin, 200),
                         (aw.outsider, 404)):
        client.force_login(user)
        assert client.get(url).status_code == status, user.username


def test_monitor_another_tenants_assignment_and_a_coach_outside_the_team_get_404(
        aw, scene, client):
    client.force_login(aw.coach2)  # cleo coaches Billing, not alice
    assert client.get(_url(aw, f"{scene['alice'].pk}/")).status_code == 404
    admin_b = aw.other.member(roles=["org_admin", "qa_analyst", "coach"], username="bea")
    client.force_login(admin_b)
    other = f"/o/{aw.other.org.slug}/coaching/monitor/{scene['alice'].pk}/"
    assert client.get(other).status_code == 404


def test_monitor_nav_entry_for_supervisors_only(aw, scene, client):
    client.force_login(aw.qa)
    assert _url(aw).encode() in client.get(aw.tenant.url("coaching/assignments/")).content
    client.force_login(aw.agent)
    assert _url(aw).encode() not in client.get(aw.tenant.url("coaching/me/assignments/")).content


# --- rows, filters, compare ---------------------------------------------------------


def _rows(response) -> list[int]:
    return [row.assignment.pk for row in response.context["rows"]]


def test_monitor_rows_scores_and_compare(aw, scene, client):
    client.force_login(aw.qa)
    response = client.get(_url(aw) + "?compare=on")
    assert response.status_code == 200
    rows = {row.assignment.pk: row for row in response.context["rows"]}
    assert list(rows) == [scene["dora"].pk, scene["alice"].pk]  # newest first (same day: id)
    alice = rows[scene["alice"].pk]
    assert alice.teams == ["Care"]
    # audits' totals: before 4 audits (85 mean), now the 4 after + today's (yes) = 5
    assert (alice.manual.before.value, alice.manual.before.n) == (85.0, 4)
    assert (alice.manual.now.value, alice.manual.now.n) == (96.0, 5)
    assert alice.manual.direction == "spike"
    assert alice.auto.before.value is None and alice.auto.direction == ""
    empathy = alice.areas[0]
    assert (empathy.change.before.value, empathy.change.before.n) == (25.0, 4)
    assert (empathy.change.now.value, empathy.change.now.n) == (80.0, 5)
    html = response.content.decode()
    assert 'data-compare="spike"' in html and "▲ +11.0" in html
    # without Compare the indicators are not shown
    assert 'data-compare="' not in client.get(_url(aw)).content.decode()


def test_monitor_effect_of_alice_against_her_team_mates(aw, scene, client):
    client.force_login(aw.coach)
    row = next(r for r in client.get(_url(aw)).context["rows"]
               if r.assignment.pk == scene["alice"].pk)
    effect = row.effect
    # alice 25 → 80 (+55); four team mates 25 → 50 (+25 each): the effect is +30
    assert effect.coached_before == 25.0 and effect.coached_after == 80.0
    assert effect.comparison_before == 25.0 and effect.comparison_after == 50.0
    assert effect.estimate == pytest.approx(30.0)
    assert effect.comparison_agents == 4
    assert effect.coached_n == (4, 5) and effect.comparison_n == (16, 16)
    assert effect.verdict == "no measurable change"  # 4 and 5 audits are few
    assert effect.low < 0 < effect.high
    client.force_login(aw.qa)
    dora = next(r for r in client.get(_url(aw)).context["rows"]
                if r.assignment.pk == scene["dora"].pk)
    assert dora.effect.verdict == "too little data to tell"  # alone in her team, 1 before


def test_monitor_date_filters_one_at_a_time_with_defaults(aw, scene, client):
    client.force_login(aw.qa)
    today = scene["today"]
    response = client.get(_url(aw))
    filters = response.context["filters"]
    assert (filters.date_field, filters.date_from, filters.date_to) == (
        "assigned", today - timedelta(days=6), today)
    assert len(_rows(response)) == 2
    response = client.get(_url(aw) + "?date_field=follow_up")  # default: today
    assert (response.context["filters"].date_from, response.context["filters"].date_to) == (
        today, today)
    assert _rows(response) == []  # follow-ups are in a week
    due = follow_up()
    response = client.get(_url(aw) + f"?date_field=follow_up&date_from={due}&date_to={due}")
    assert len(_rows(response)) == 2
    # the assigned-date range is ignored while the follow-up date filter is active
    old = today - timedelta(days=30)
    response = client.get(_url(aw) + f"?date_field=assigned&date_from={old}&date_to={old}")
    assert _rows(response) == []
    response = client.get(_url(aw) + f"?date_from={today}&date_to={old}")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_monitor_attribute_team_agent_filters_and_htmx(aw, scene, client):
    client.force_login(aw.admin)
    assert _rows(client.get(_url(aw) + "?attribute=greeting")) == [scene["dora"].pk]
    assert _rows(client.get(_url(aw) + f"?team={aw.team.pk}")) == [scene["alice"].pk]
    assert _rows(client.get(_url(aw) + f"?agent={aw.agent3.pk}")) == [scene["dora"].pk]
    partial = client.get(_url(aw) + f"?agent={aw.agent.pk}", HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and f'data-assignment="{scene["alice"].pk}"' in html
    assert "<html" in client.get(_url(aw)).content.decode()


def test_monitor_coach_sees_only_their_agents(aw, scene, client):
    client.force_login(aw.coach)
    assert _rows(client.get(_url(aw))) == [scene["alice"].pk]
    choices = client.get(_url(aw)).context["form"].fields["agent"].choices
    with scopes_disabled():
        care = set(TeamMember.objects.filter(team=aw.team).values_list("user_id", flat=True))
    assert {pk for pk, _ in choices} == care and len(care) == 5
    assert [name for _, name in client.get(_url(aw)).context["form"].fields["team"].choices] \
        == ["Care"]


def test_monitor_query_count_stays_constant(aw, scene, client, django_assert_num_queries):
    client.force_login(aw.qa)
    client.get(_url(aw))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url(aw) + "?compare=on").status_code == 200
    count = len(ctx.captured_queries)
    for agent in (aw.agent2,):
        _assign(aw, agent, assigned_days_ago=2, name="More")
    for _ in range(3):
        _assign(aw, aw.agent, assigned_days_ago=1, areas=("greeting", "empathy"), name="Again")
    with django_assert_num_queries(count):
        response = client.get(_url(aw) + "?compare=on")
    assert len(response.context["rows"]) == 6


# --- progress panel, overview card, assessments ---------------------------------------


def test_monitor_detail_shows_progress_with_n_and_the_chart(aw, scene, client):
    client.force_login(aw.qa)
    url = _url(aw, f"{scene['alice'].pk}/")
    html = client.get(url).content.decode()
    assert "Agent progress" in html and "<svg" in html and "Comparison group" in html
    assert 'data-effect-verdict="no measurable change"' in html
    panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in panel and f'data-panel="{scene["alice"].pk}"' in panel


def test_overview_loads_the_effect_card(aw, scene, client):
    client.force_login(aw.admin)
    overview = client.get(aw.tenant.url("coaching/")).content.decode()
    assert 'hx-get="' + _url(aw, "effects/") in overview
    card = client.get(_url(aw, "effects/"), HTTP_HX_REQUEST="true")
    groups = {(g.kind, g.name): g.effect for g in card.context["overview"]["groups"]}
    assert groups[("area", "Empathy")].estimate == pytest.approx(30.0)
    assert groups[("team", "Care")].units == 1
    assert ("coach", str(aw.coach)) in groups
    assert groups[("area", "Greeting")].verdict == "too little data to tell"


def test_assessment_effect_uses_the_total_score(aw, scene):
    from coaching.models import CoachingAssessment

    with scopes_disabled():
        assessment = CoachingAssessment.objects.create(
            organization=aw.tenant.org, trainee=aw.agent, coach=aw.coach,
            due_date=scene["today"])
        CoachingAssessment.objects.filter(pk=assessment.pk).update(
            created_at=timezone.now() - timedelta(days=6))
        assessment.refresh_from_db()
    with aw.tenant.scope():
        detail = assessment_effects(aw.tenant.org, [assessment], scene["today"],
                                    scoring_of(aw.tenant.org))[assessment.pk]
    # totals: alice 85 → 96, team mates 85 → 90: +6 (the mates' audits after: 4)
    assert detail.effect.coached_before == 85.0 and detail.effect.coached_after == 96.0
    assert detail.effect.comparison_after == 90.0
    assert detail.effect.estimate == pytest.approx(6.0)


# --- API --------------------------------------------------------------------------


def _token(tenant, user):
    with scopes_disabled():
        _row, raw = create_api_token(organization=tenant.org, name="t", created_by=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_progress(aw, scene, client):
    url = f"/api/v1/coaching-assignments/{scene['alice'].pk}/progress"
    assert client.get(url).status_code == 401
    response = client.get(url, **_token(aw.tenant, aw.admin))
    assert response.status_code == 200
    body = response.json()
    assert body["agent"] == "alice"
    assert body["scorecard_score"] == [{"value": 85.0, "n": 4}, {"value": 96.0, "n": 5}]
    area = body["areas"][0]
    assert (area["attribute"], area["at_assigned_date"], area["current"], area["direction"]) \
        == ("empathy", {"value": 25.0, "n": 4}, {"value": 80.0, "n": 5}, "spike")
    assert area["effect"]["estimate"] == pytest.approx(30.0)
    assert area["effect"]["comparison_n"] == [16, 16]
    other = client.get(url, **_token(aw.other, aw.outsider))
    assert other.status_code == 404
    assert client.get("/api/v1/coaching-assignments/0/progress",
                      **_token(aw.tenant, aw.admin)).status_code == 422


def test_monitor_rows_are_the_same_when_python_sums_the_days(aw, scene, client, monkeypatch):
    """Many windows (a team's month) are summed from daily rows instead of by the database:
    the numbers must not change."""
    from coaching import selectors_monitor

    client.force_login(aw.qa)

    def numbers():
        rows = client.get(_url(aw) + "?compare=on").context["rows"]
        return [(r.assignment.pk, r.manual, r.auto, [a.change for a in r.areas],
                 r.effect.estimate, r.effect.low, r.effect.high) for r in rows]

    summed_by_database = numbers()
    monkeypatch.setattr(selectors_monitor, "WINDOWS_SUMMED", 0)
    assert numbers() == summed_by_database
