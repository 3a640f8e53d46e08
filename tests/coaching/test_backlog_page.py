"""The coaching backlog page (issue 20): who sees it and which rows (org admins all, coaches
their agents' and the unassigned ones, others 404, another tenant 404), the exact order
(overdue first, then by deadline), the filters, claiming and assigning from it, the SLA
settings (bounds, errors by field, nothing written) and constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from coaching.selectors_backlog import DEFAULT_SLA_HOURS, backlog_settings
from tenancy.models import Organization

from .assignment_fixtures import aw_fixture  # noqa: F401
from .backlog_fixtures import assessment_for, make_backlog

pytestmark = pytest.mark.django_db

PAGE = "coaching/backlog/"


@pytest.fixture
def items(aw):
    return make_backlog(aw)


def _get(client, aw, user, path=PAGE, **params):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(aw.tenant.url(path), params)


def _rows(response):
    return [(i.kind.key, i.obj.pk, i.overdue) for i in response.context["page"].object_list]


def test_backlog_permission_matrix(client, aw, items):
    anonymous = _get(client, aw, None)
    assert anonymous.status_code == 302 and "/login" in anonymous.url
    for user in (aw.agent, aw.staff["qa"], aw.outsider):
        assert _get(client, aw, user).status_code == 404, user
    for user in (aw.admin, aw.coach, aw.coach2):
        assert _get(client, aw, user).status_code == 200, user
    for path in ("coaching/backlog/settings/", "coaching/backlog/capacity/"):
        for user in (aw.coach, aw.agent, aw.staff["qa"], aw.outsider):
            assert _get(client, aw, user, path).status_code == 404, (user, path)
        assert _get(client, aw, aw.admin, path).status_code == 200


def test_admin_sees_every_open_item_overdue_first_then_by_deadline(client, aw, items):
    page = _get(client, aw, aw.admin)
    rows = _rows(page)
    # the plan's SLA passed 6 days ago, the assessment's 5, the self-review's 28 hours
    # ago; the dispute is due in 47 hours, the recommendation (3 h old) and the
    # unassigned assessment (2 h old) reach their 120 hours next, the assignment last
    assert rows == [
        ("plan", items.plan.pk, True),
        ("assessment", items.assessment.pk, True),
        ("skill_review", items.review.pk, True),
        ("dispute", items.dispute.pk, False),
        ("recommendation", items.recommendation.pk, False),
        ("assessment", items.unassigned.pk, False),
        ("assignment", items.assignment.pk, False),
    ]
    body = page.content.decode()
    assert body.count("badge text-bg-danger\">Overdue") == 3
    assert "Unassigned" in body
    assert page.context["backlog"].totals == {
        "assessment": 2, "assignment": 1, "plan": 1, "dispute": 1, "skill_review": 1,
        "recommendation": 1}
    item = page.context["page"].object_list[1]
    assert (item.owner, item.agent, item.age_label, item.url) == (
        aw.coach, aw.agent, "10 d", f"/o/acme/coaching/assessments/{items.assessment.pk}/")
    dispute = page.context["page"].object_list[3]
    assert (dispute.owner, dispute.url) == (
        aw.staff["qa"], f"/o/acme/quality/disputes/review/{items.dispute.pk}/")


def test_coaches_see_their_agents_items_and_the_unassigned_ones(client, aw, items):
    assert _rows(_get(client, aw, aw.coach)) == [
        ("plan", items.plan.pk, True),
        ("assessment", items.assessment.pk, True),
        ("skill_review", items.review.pk, True),
        ("dispute", items.dispute.pk, False),
        ("assessment", items.unassigned.pk, False),
        ("assignment", items.assignment.pk, False),
    ]
    assert _rows(_get(client, aw, aw.coach2)) == [
        ("recommendation", items.recommendation.pk, False),
        ("assessment", items.unassigned.pk, False),
    ]


def test_filters_by_kind_team_and_owner(client, aw, items):
    def rows(**params):
        return [(k, pk) for k, pk, _ in _rows(_get(client, aw, aw.admin, **params))]

    assert rows(kind="assessment") == [("assessment", items.assessment.pk),
                                       ("assessment", items.unassigned.pk)]
    assert rows(team=aw.team2.pk) == [("recommendation", items.recommendation.pk),
                                      ("assessment", items.unassigned.pk)]
    assert rows(owner=aw.coach.pk) == [("plan", items.plan.pk),
                                       ("assessment", items.assessment.pk),
                                       ("assignment", items.assignment.pk)]
    assert rows(owner="unassigned") == [("skill_review", items.review.pk),
                                        ("recommendation", items.recommendation.pk),
                                        ("assessment", items.unassigned.pk)]
    assert rows(owner=aw.coach.pk, kind="dispute") == []
    # a coach's team choices are their own teams only: another team is not a choice
    page = _get(client, aw, aw.coach, team=aw.team2.pk)
    assert page.context["form"].errors["team"]
    # htmx asks for the rows only
    client.force_login(aw.admin)
    partial = client.get(aw.tenant.url(PAGE), {"kind": "plan"}, HTTP_HX_REQUEST="true")
    assert "<form method=\"get\"" not in partial.content.decode()
    assert _rows(partial) == [("plan", items.plan.pk, True)]


def test_claim_and_assign_from_the_backlog(client, aw, items):
    claim = aw.tenant.url(f"coaching/backlog/assessments/{items.unassigned.pk}/claim/")
    # the agent, the QA analyst and another tenant: 404, nothing changes
    for user in (aw.agent, aw.staff["qa"], aw.outsider):
        client.force_login(user)
        assert client.post(claim).status_code == 404
    # a coach may not give it to someone else
    client.force_login(aw.coach2)
    response = client.post(claim, {"coach": aw.coach.pk, "query": "kind=assessment"})
    assert response.status_code == 302
    assert response.url == "/o/acme/coaching/backlog/?kind=assessment"
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=items.unassigned.pk).coach_id is None
    # the coach claims it for themselves
    response = client.post(claim)
    assert (response.status_code, response.url) == (302, "/o/acme/coaching/backlog/")
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=items.unassigned.pk).coach_id == aw.coach2.pk
    # carl no longer sees it (dora is not his agent), so he cannot claim it
    client.force_login(aw.coach)
    assert client.post(claim).status_code == 404
    # the org admin reassigns carl's assessment to cleo
    client.force_login(aw.admin)
    reassign = aw.tenant.url(f"coaching/backlog/assessments/{items.assessment.pk}/claim/")
    assert client.post(reassign, {"coach": aw.coach2.pk}).status_code == 302
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=items.assessment.pk).coach_id == aw.coach2.pk
    # an admin cannot give it to a member of another tenant
    client.post(reassign, {"coach": aw.outsider.pk})
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=items.assessment.pk).coach_id == aw.coach2.pk


def test_page_offers_claim_to_coaches_and_assign_to_admins(client, aw, items):
    body = _get(client, aw, aw.coach2).content.decode()
    assert body.count(">Claim</button>") == 1 and ">Assign</button>" not in body
    body = _get(client, aw, aw.admin).content.decode()
    assert body.count(">Assign</button>") == 1 and body.count(">Reassign</button>") == 1


def _settings_data(**overrides):
    data = {f"sla_{k}": v for k, v in DEFAULT_SLA_HOURS.items()}
    data["capacity"] = 25
    data.update(overrides)
    return data


@pytest.mark.parametrize(("field", "value", "message"), [
    ("sla_dispute", 0, "Ensure this value is greater than or equal to 1."),
    ("sla_plan", 2161, "Ensure this value is less than or equal to 2160."),
    ("sla_assessment", "soon", "Enter a whole number."),
    ("capacity", 0, "Ensure this value is greater than or equal to 1."),
    ("capacity", 501, "Ensure this value is less than or equal to 500."),
])
def test_sla_settings_errors_by_field_and_nothing_saved(client, aw, field, value, message):
    client.force_login(aw.admin)
    response = client.post(aw.tenant.url("coaching/backlog/settings/"),
                           _settings_data(**{field: value, "sla_skill_review": 10}))
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    with scopes_disabled():
        assert backlog_settings(Organization.objects.get(pk=aw.tenant.org.pk)).sla_hours == \
            DEFAULT_SLA_HOURS


def test_sla_settings_saved_change_what_is_overdue(client, aw, items):
    client.force_login(aw.admin)
    response = client.post(aw.tenant.url("coaching/backlog/settings/"),
                           _settings_data(sla_dispute=1, sla_assessment=300, capacity=9))
    assert (response.status_code, response.url) == (302, "/o/acme/coaching/backlog/")
    with scopes_disabled():
        saved = backlog_settings(Organization.objects.get(pk=aw.tenant.org.pk))
    assert (saved.sla_hours["dispute"], saved.sla_hours["assessment"], saved.capacity) == (
        1, 300, 9)
    rows = _rows(_get(client, aw, aw.admin))
    assert rows[:3] == [("plan", items.plan.pk, True),
                        ("skill_review", items.review.pk, True),
                        ("dispute", items.dispute.pk, True)]
    assert ("assessment", items.assessment.pk, False) in rows


def test_backlog_queries_stay_constant_as_items_grow(client, aw, items,
                                                     django_assert_num_queries):
    counts = {}
    for user in (aw.admin, aw.coach):
        client.force_login(user)
        client.get(aw.tenant.url(PAGE))  # warm up the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(aw.tenant.url(PAGE)).status_code == 200
        counts[user.pk] = len(ctx.captured_queries)
    for hours in range(30):
        assessment_for(aw, aw.agent, actor=aw.coach, hours=hours)
        assessment_for(aw, aw.agent3, hours=hours, coach=None)
    for user in (aw.admin, aw.coach):
        client.force_login(user)
        client.get(aw.tenant.url(PAGE))
        with django_assert_num_queries(counts[user.pk]):
            response = client.get(aw.tenant.url(PAGE))
        assert response.context["backlog"].totals["assessment"] == 62


def test_overview_shows_coaching_on_time_per_team(client, aw):
    from coaching.services import complete_assessment, resolve_assessment, start_assessment

    on_time = assessment_for(aw, aw.agent, actor=aw.coach, hours=10)  # SLA 120 h
    late = assessment_for(aw, aw.agent2, actor=aw.coach, hours=200)
    with aw.tenant.scope():
        for assessment in (on_time, late):
            for step in (start_assessment, resolve_assessment, complete_assessment):
                assessment = step(assessment=assessment, actor=aw.coach)
    assessment_for(aw, aw.agent, actor=aw.coach, hours=10)
    assessment_for(aw, aw.agent2, actor=aw.coach, hours=30)
    page = _get(client, aw, aw.admin, "coaching/")
    rows = [(t.team, t.completed, t.on_time, t.share, t.open, t.median_open_label)
            for t in page.context["data"].on_time]
    assert rows == [("Billing", 0, 0, None, 0, "—"), ("Care", 2, 1, 0.5, 2, "20 h")]
    assert "50% (1 of 2)" in page.content.decode()
    coach_rows = [t.team for t in _get(client, aw, aw.coach, "coaching/").context["data"].on_time]
    assert coach_rows == ["Care"]


def test_each_kind_is_capped_with_its_full_count(aw, items):
    from coaching.selectors_backlog import backlog

    with aw.tenant.scope():
        data = backlog(organization=aw.tenant.org, user=aw.admin, cap=1)
    assert data.totals["assessment"] == 2 and data.capped == ["Assessment"]
    # the oldest assessment is the one kept
    assert [(i.kind.key, i.pk) for i in data.items if i.kind.key == "assessment"] == [
        ("assessment", items.assessment.pk)]
    assert len(data.items) == 6
