"""The access log records every view of one agent's data by someone else: each kind of
page and API operation writes exactly one record with who, what and how; viewing your own
data writes nothing; opening the same object again within ten minutes writes nothing more."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.services.assessments import open_manual_assessment
from coaching.services.assignments import create_assignment_from_evaluation
from coaching.services.plans import create_plan, send_plan
from privacy.access import DEDUPE_WINDOW, record_access
from privacy.models import AccessRecord
from quality.services.disputes import DisputedAttribute, raise_dispute
from tenancy.services.tokens import create_api_token
from tests.coaching.assignment_fixtures import aw_fixture, follow_up  # noqa: F401
from tests.factories import PASSWORD
from tests.quality.conftest import released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

FIELDS = ("subject_id", "viewer_id", "viewer_label", "kind", "channel", "object_id",
          "object_label", "path")


def _records(aw):
    with scopes_disabled():
        return [tuple(getattr(r, f) for f in FIELDS)
                for r in AccessRecord.objects.filter(organization=aw.tenant.org)
                .order_by("pk")]


def _as(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _token(aw, *, user=None, name="Workforce analytics"):
    with scopes_disabled():
        _row, raw = create_api_token(organization=aw.tenant.org, name=name,
                                     created_by=aw.admin, user=user)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def audit(aw):
    """alice's released audit by quinn (the QA analyst) of interaction CHAT-D1."""
    return released_audit(aw, agent=aw.agent)


# --- pages ---------------------------------------------------------------------------------


def test_evaluation_page_records_the_coach_once(client, aw, audit):
    url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    c = _as(client, aw.coach)
    assert c.get(url).status_code == 200
    assert c.get(url).status_code == 200  # a refresh: still one record

    assert _records(aw) == [(aw.agent.pk, aw.coach.pk, str(aw.coach), "evaluation", "page",
                             str(audit.pk), "Audit of CHAT-D1", url)]


def test_viewing_your_own_evaluation_records_nothing(client, aw, audit):
    url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    assert _as(client, aw.agent).get(url).status_code == 200
    assert _records(aw) == []


def test_a_refused_view_records_nothing(client, aw, audit):
    url = aw.tenant.url(f"quality/evaluations/{audit.pk}/")
    assert _as(client, aw.agent2).get(url).status_code == 404
    assert _as(client, aw.coach2).get(url).status_code == 404
    assert _records(aw) == []


def test_audit_screen_and_interaction_page_record_evaluation_and_transcript(client, aw, audit):
    audit_url = aw.tenant.url(f"quality/audits/{audit.pk}/")
    item_url = aw.tenant.url(f"quality/interactions/{audit.interaction_id}/")
    c = _as(client, aw.admin)
    assert c.get(audit_url).status_code == 200
    assert c.get(item_url).status_code == 200

    assert _records(aw) == [
        (aw.agent.pk, aw.admin.pk, str(aw.admin), "evaluation", "page", str(audit.pk),
         "Audit of CHAT-D1", audit_url),
        (aw.agent.pk, aw.admin.pk, str(aw.admin), "transcript", "page", str(audit.interaction_id),
         "Transcript of CHAT-D1", item_url),
    ]


def test_dispute_review_page_records_the_dispute_against_its_evaluation(client, aw):
    turn_disputes_on(aw.tenant.org)
    audit = released_audit(aw, agent=aw.agent)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=audit, agent=aw.agent, items=[
            DisputedAttribute("empathy", "I apologised twice.", "yes")])
    url = aw.tenant.url(f"quality/disputes/review/{dispute.pk}/")
    assert _as(client, aw.qa).get(url).status_code == 200

    assert _records(aw) == [(aw.agent.pk, aw.qa.pk, str(aw.qa), "dispute", "page", str(audit.pk),
                             "Dispute round 1 of CHAT-D1", url)]


def test_coaching_pages_record_assessment_assignment_plan_and_overview(client, aw, audit):
    with aw.tenant.scope():
        assessment = open_manual_assessment(organization=aw.tenant.org, actor=aw.coach,
                                            trainee=aw.agent)
        assignment = create_assignment_from_evaluation(
            evaluation=audit, assigner=aw.coach, name="Empathy basics",
            area_keys=["empathy"], follow_up_date=follow_up())
        plan = send_plan(plan=create_plan(
            organization=aw.tenant.org, manager=aw.coach, agent=aw.agent,
            attribute_key="empathy", advice="Acknowledge first.", target_percent=80,
            target_date=timezone.localdate() + timedelta(days=30), example_ids=[]),
            actor=aw.coach)
    pages = [
        aw.tenant.url(f"coaching/assessments/{assessment.pk}/"),
        aw.tenant.url(f"coaching/assignments/{assignment.pk}/"),
        aw.tenant.url(f"coaching/plans/{plan.pk}/"),
        aw.tenant.url(f"coaching/agents/{aw.agent.pk}/sessions/"),
        aw.tenant.url(f"coaching/behaviours/agents/{aw.agent.pk}/"),
        aw.tenant.url(f"skills/people/{aw.agent.pk}/"),
    ]
    c = _as(client, aw.coach)
    for url in pages:
        assert c.get(url).status_code == 200, url

    assert _records(aw) == [
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "assessment", "page", str(assessment.pk),
         f"Assessment #{assessment.pk}", pages[0]),
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "assignment", "page", str(assignment.pk),
         "Empathy basics", pages[1]),
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "plan", "page", str(plan.pk),
         "Coaching plan: Empathy", pages[2]),
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "plan", "page", "",
         "Coaching sessions (every plan)", pages[3]),
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "overview", "page", str(aw.agent.pk),
         "Performance overview", pages[4]),
        (aw.agent.pk, aw.coach.pk, str(aw.coach), "skills", "page", str(aw.agent.pk),
         "Skills and skill history", pages[5]),
    ]


def test_the_agents_own_coaching_pages_record_nothing(client, aw, audit):
    with aw.tenant.scope():
        assessment = open_manual_assessment(organization=aw.tenant.org, actor=aw.coach,
                                            trainee=aw.agent)
    c = _as(client, aw.agent)
    for url in (aw.tenant.url(f"coaching/assessments/{assessment.pk}/"),
                aw.tenant.url(f"coaching/behaviours/agents/{aw.agent.pk}/"),
                aw.tenant.url("skills/me/")):
        assert c.get(url).status_code == 200, url
    assert _records(aw) == []


# --- the API -------------------------------------------------------------------------------


def test_api_organization_token_is_recorded_under_its_name(client, aw, audit):
    headers = _token(aw)
    url = f"/api/v1/evaluations/{audit.pk}"
    assert client.get(url, headers=headers).status_code == 200
    assert client.get(url, headers=headers).status_code == 200
    transcript = "/api/v1/interactions/CHAT-D1/transcript"
    assert client.get(transcript, headers=headers).status_code == 200
    listed = "/api/v1/evaluations?agent=alice"
    assert client.get(listed, headers=headers).status_code == 200
    skills = "/api/v1/user-skills?user=alice"
    assert client.get(skills, headers=headers).status_code == 200

    assert _records(aw) == [
        (aw.agent.pk, None, "Workforce analytics", "evaluation", "api", str(audit.pk),
         "Audit of CHAT-D1", url),
        (aw.agent.pk, None, "Workforce analytics", "transcript", "api",
         str(audit.interaction_id), "Transcript of CHAT-D1", transcript),
        (aw.agent.pk, None, "Workforce analytics", "evaluation", "api", "",
         "Evaluations (API list)", listed),
        (aw.agent.pk, None, "Workforce analytics", "skills", "api", str(aw.agent.pk),
         "Skills (API)", skills),
    ]


def test_api_coaching_reads_are_recorded(client, aw, audit):
    with aw.tenant.scope():
        assessment = open_manual_assessment(organization=aw.tenant.org, actor=aw.coach,
                                            trainee=aw.agent)
        assignment = create_assignment_from_evaluation(
            evaluation=audit, assigner=aw.coach, name="Empathy basics",
            area_keys=["empathy"], follow_up_date=follow_up())
        send_plan(plan=create_plan(
            organization=aw.tenant.org, manager=aw.coach, agent=aw.agent,
            attribute_key="empathy", advice="Acknowledge first.", target_percent=80,
            target_date=timezone.localdate() + timedelta(days=30), example_ids=[]),
            actor=aw.coach)
    headers = _token(aw, name="BI export")
    urls = [f"/api/v1/assessments/{assessment.pk}",
            f"/api/v1/coaching-assignments/{assignment.pk}",
            f"/api/v1/coaching-assignments/{assignment.pk}/progress",
            "/api/v1/coaching-plans?agent=alice",
            "/api/v1/agents/alice/behaviours"]
    for url in urls:
        assert client.get(url, headers=headers).status_code == 200, url

    assert [(r[3], r[5], r[6]) for r in _records(aw)] == [
        ("assessment", str(assessment.pk), f"Assessment #{assessment.pk}"),
        ("assignment", str(assignment.pk), "Empathy basics"),  # its progress: the same object
        ("plan", "", "Coaching plans (API list)"),
        ("overview", str(aw.agent.pk), "Behaviours (API)"),
    ]
    assert {(r[0], r[1], r[2], r[4]) for r in _records(aw)} == {
        (aw.agent.pk, None, "BI export", "api")}


def test_api_personal_token_records_its_person_and_not_the_agents_own(client, aw, audit):
    url = f"/api/v1/evaluations/{audit.pk}"
    assert client.get(url, headers=_token(aw, user=aw.agent, name="mine")).status_code == 200
    assert _records(aw) == []
    assert client.get(url, headers=_token(aw, user=aw.qa, name="q")).status_code == 200
    assert _records(aw) == [(aw.agent.pk, aw.qa.pk, str(aw.qa), "evaluation", "api",
                             str(audit.pk), "Audit of CHAT-D1", url)]


# --- record_access itself --------------------------------------------------------------------


def test_dedupe_is_per_viewer_object_and_window(aw, audit, monkeypatch):
    with aw.tenant.scope():
        assert record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit)
        assert not record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit)
        # another viewer, another object, another kind: recorded
        assert record_access(aw.admin, subject=aw.agent, kind="evaluation", obj=audit)
        assert record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit.pk + 1)
        assert record_access(aw.coach, subject=aw.agent, kind="transcript", obj=audit)
        # ten minutes later the same view counts again
        later = timezone.now() + DEDUPE_WINDOW + timedelta(seconds=1)
        monkeypatch.setattr(timezone, "now", lambda: later)
        assert record_access(aw.coach, subject=aw.agent, kind="evaluation", obj=audit)
        assert not record_access(aw.agent, subject=aw.agent, kind="evaluation", obj=audit)
        assert not record_access(aw.coach, subject=None, kind="evaluation", obj=audit)
    assert [(r[1], r[3], r[5]) for r in _records(aw)] == [
        (aw.coach.pk, "evaluation", str(audit.pk)),
        (aw.admin.pk, "evaluation", str(audit.pk)),
        (aw.coach.pk, "evaluation", str(audit.pk + 1)),
        (aw.coach.pk, "transcript", str(audit.pk)),
        (aw.coach.pk, "evaluation", str(audit.pk)),
    ]


def test_recording_costs_one_query(aw, audit, django_assert_num_queries):
    with aw.tenant.scope(), django_assert_num_queries(1):
        record_access(aw.coach, subject=aw.agent.pk, kind="evaluation", obj=audit)
    with aw.tenant.scope(), django_assert_num_queries(1):
        record_access(aw.coach, subject=aw.agent.pk, kind="evaluation", obj=audit)
