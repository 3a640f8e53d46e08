"""Coaching pages: permission matrix, actions, bad input and constant query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coaching.enums import AssessmentState
from coaching.models import CoachingAssessment
from coaching.services import open_manual_assessment


def open_for(world, trainee, coach=None):
    with world.tenant.scope():
        return open_manual_assessment(organization=world.tenant.org, actor=coach or world.coach,
                                      trainee=trainee)


def state_of(world, assessment):
    with world.tenant.scope():
        return CoachingAssessment.objects.get(pk=assessment.pk).state


@pytest.mark.parametrize("page", ["coaching/", "coaching/assessments/",
                                  "coaching/assessments/new/"])
def test_manager_pages_permission_matrix(world, tenant_b, client, login, page):
    assert login(world.coach).get(world.tenant.url(page)).status_code == 200
    client.logout()
    assert login(world.admin).get(world.tenant.url(page)).status_code == 200
    client.logout()
    assert login(world.agent).get(world.tenant.url(page)).status_code == 403
    client.logout()
    stranger = tenant_b.member(roles=["coach", "org_admin"], username="stranger")
    assert login(stranger).get(world.tenant.url(page)).status_code == 404


def test_assessment_page_matrix(world, tenant_b, client, login):
    assessment = open_for(world, world.agent)
    url = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    response = login(world.coach).get(url)
    assert response.status_code == 200
    assert b"Start coaching" in response.content
    client.logout()
    # The trainee sees it read-only.
    response = login(world.agent).get(url)
    assert response.status_code == 200
    assert b"Start coaching" not in response.content
    client.logout()
    # Another agent of the same team, a coach of another team: 404.
    assert login(world.agent2).get(url).status_code == 404
    client.logout()
    assert login(world.coach2).get(url).status_code == 404
    client.logout()
    stranger = tenant_b.member(roles=["coach", "org_admin"], username="stranger")
    assert login(stranger).get(url).status_code == 404
    client.logout()
    with tenant_b.scope():
        pass
    assert login(stranger).get(f"/o/{tenant_b.org.slug}/coaching/assessments/{assessment.pk}/"
                               ).status_code == 404


def test_coach_walks_the_lifecycle_and_a_closed_assessment_refuses(world, login):
    assessment = open_for(world, world.agent)
    client = login(world.coach)
    base = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    assert client.post(base + "details/", {"rating": "85", "comments": "Good call",
                                           "follow_up": "on"}).status_code == 302
    for action, state in (("start", "in_progress"), ("resolve", "resolved"),
                          ("complete", "closed_complete")):
        assert client.post(base + f"{action}/").status_code == 302
        assert state_of(world, assessment) == state
    response = client.post(base + "start/", follow=True)
    assert "This assessment is already closed complete; it cannot be started any more." in \
        response.content.decode()
    assert state_of(world, assessment) == "closed_complete"
    with world.tenant.scope():
        saved = CoachingAssessment.objects.get(pk=assessment.pk)
        assert (saved.rating, saved.comments, saved.follow_up) == (85, "Good call", True)
        assert list(saved.transitions.values_list("from_state", "to_state")) == [
            ("", "open"), ("open", "in_progress"), ("in_progress", "resolved"),
            ("resolved", "closed_complete"),
        ]


def test_cancel_needs_a_reason_and_bad_rating_is_refused(world, login):
    assessment = open_for(world, world.agent)
    client = login(world.coach)
    base = world.tenant.url(f"coaching/assessments/{assessment.pk}/")
    response = client.post(base + "cancel/", {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = client.post(base + "details/", {"rating": "101", "comments": ""})
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    assert client.post(base + "cancel/", {"reason": "Agent left"}).status_code == 302
    with world.tenant.scope():
        saved = CoachingAssessment.objects.get(pk=assessment.pk)
    assert (saved.state, saved.cancel_reason) == ("closed_incomplete", "Agent left")


def test_coach_cannot_act_on_or_open_for_an_agent_outside_their_teams(world, login):
    theirs = open_for(world, world.agent3, coach=world.coach2)
    client = login(world.coach)
    base = world.tenant.url(f"coaching/assessments/{theirs.pk}/")
    assert client.post(base + "start/").status_code == 404
    assert client.post(base + "details/", {"rating": "5"}).status_code == 404
    assert state_of(world, theirs) == AssessmentState.OPEN
    url = world.tenant.url("coaching/assessments/new/")
    assert client.get(url, {"agent": world.agent3.pk}).status_code == 404
    assert client.post(url, {"trainee": world.agent3.pk, "due_in_days": 7}).status_code == 404
    with world.tenant.scope():
        assert CoachingAssessment.objects.filter(trainee=world.agent3).count() == 1


def test_coach_opens_a_manual_assessment_for_a_work_item(world, login):
    world.push({"external_id": "INC9", "kind": "incident", "assigned_to": "agent"},
               {"external_id": "sys-4f2a", "number": "INC0001840", "kind": "incident",
                "assigned_to": "agent"})
    client = login(world.coach)
    url = world.tenant.url("coaching/assessments/new/")
    response = client.post(url, {"trainee": world.agent.pk, "due_in_days": 5,
                                 "work_item": "NOPE"})
    assert "No work item has the number or external ID “NOPE”." in response.content.decode()
    response = client.post(url, {"trainee": world.agent.pk, "due_in_days": 5,
                                 "work_item": "INC9", "comments": "Let's talk"})
    assert response.status_code == 302
    # what people see on the ticket, its number, works as well as the external ID
    response = client.post(url, {"trainee": world.agent.pk, "due_in_days": 5,
                                 "work_item": "inc0001840"})
    assert response.status_code == 302
    with world.tenant.scope():
        assert [(a.trainee, a.coach, a.work_item.external_id, a.origin, a.virtual_coach)
                for a in CoachingAssessment.objects.order_by("id")] == [
            (world.agent, world.coach, "INC9", "manual", None),
            (world.agent, world.coach, "sys-4f2a", "manual", None)]


def test_agent_sees_own_assessments_only(world, login):
    open_for(world, world.agent)
    open_for(world, world.agent2)
    response = login(world.agent).get(world.tenant.url("coaching/me/"))
    assert response.status_code == 200
    assert response.content.decode().count("Coaching session") == 1


def _bulk(world, n):
    for _ in range(n):
        open_for(world, world.agent)
        open_for(world, world.agent2)


def test_list_and_overview_query_counts_stay_constant(world, login,
                                                      django_assert_num_queries):
    client = login(world.coach)
    _bulk(world, 2)
    counts = {}
    for page in ("coaching/assessments/", "coaching/", "coaching/me/"):
        client.get(world.tenant.url(page))  # warm up the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(world.tenant.url(page)).status_code == 200
        counts[page] = len(ctx.captured_queries)
    _bulk(world, 10)
    for page, count in counts.items():
        with django_assert_num_queries(count):
            assert client.get(world.tenant.url(page)).status_code == 200


def test_cross_tenant_ids_do_not_leak(world, tenant_b, login):
    assessment = open_for(world, world.agent)
    admin_b = tenant_b.member(roles=["org_admin", "coach"], username="adminb")
    client = login(admin_b)
    base = f"/o/{tenant_b.org.slug}/coaching/assessments/{assessment.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "start/").status_code == 404
    with scopes_disabled():
        assert CoachingAssessment.objects.get(pk=assessment.pk).state == "open"
