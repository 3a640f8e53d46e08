"""Assessment services: transitions, expiry, concurrent completion, the API."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coaching import services
from coaching.models import CoachingAssessment
from coaching.tasks import expire_overdue_assessments, expire_overdue_assessments_for
from skills.models import Skill, SkillChange, SkillLevel
from skills.services import ensure_level_scale
from tests.work.conftest import ApiClient, make_token


def open_for(world, trainee, **kwargs):
    with world.tenant.scope():
        return services.open_manual_assessment(organization=world.tenant.org,
                                               actor=world.coach, trainee=trainee, **kwargs)


def test_expiry_closes_overdue_open_assessments_only(world):
    overdue = open_for(world, world.agent)
    fresh = open_for(world, world.agent2)
    with world.tenant.scope():
        CoachingAssessment.objects.filter(pk=overdue.pk).update(
            due_date=timezone.localdate() - timedelta(days=1))
    assert expire_overdue_assessments_for(organization_id=world.tenant.org.pk) == 1
    assert expire_overdue_assessments_for(organization_id=world.tenant.org.pk) == 0
    with world.tenant.scope():
        states = dict(CoachingAssessment.objects.values_list("pk", "state"))
        log = list(CoachingAssessment.objects.get(pk=overdue.pk).transitions.values_list(
            "to_state", "actor_label"))
    assert states == {overdue.pk: "closed_incomplete", fresh.pk: "open"}
    assert log[-1] == ("closed_incomplete", "Coachdesk (due date passed)")


def test_expiry_beat_task_runs_one_task_per_tenant(world, tenant_b, tasks_in_process):
    overdue = open_for(world, world.agent)
    with world.tenant.scope():
        CoachingAssessment.objects.filter(pk=overdue.pk).update(
            due_date=timezone.localdate() - timedelta(days=1))

    assert expire_overdue_assessments() == 2  # alpha and beta
    with world.tenant.scope():
        assert CoachingAssessment.objects.get(pk=overdue.pk).state == "closed_incomplete"


def test_manual_assessment_bad_input(world):
    with world.tenant.scope(), pytest.raises(services.AssessmentError,
                                             match="only for agents of the teams you coach"):
        services.open_manual_assessment(organization=world.tenant.org, actor=world.coach,
                                        trainee=world.agent3)
    with pytest.raises(services.AssessmentError, match="1 to 365 days"):
        open_for(world, world.agent, due_in_days=0)


def test_virtual_coach_cannot_complete_a_manual_assessment(world):
    assessment = open_for(world, world.agent)
    with world.tenant.scope(), pytest.raises(services.AssessmentError):
        services.complete_by_virtual_coach(assessment=assessment)


def test_closed_assessment_refuses_edits(world):
    assessment = open_for(world, world.agent)
    with world.tenant.scope():
        services.cancel_assessment(assessment=assessment, actor=world.coach, reason="Left")
        with pytest.raises(services.AssessmentError,
                           match="already closed incomplete; it cannot be resolved any more"):
            services.resolve_assessment(assessment=assessment, actor=world.coach)
        with pytest.raises(services.AssessmentError, match="can no longer be changed"):
            services.update_assessment(assessment=assessment, actor=world.coach, rating=5,
                                       comments="", follow_up=False)


@pytest.mark.django_db(transaction=True)
def test_two_coaches_completing_at_once_award_once(tenant_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    coach = tenant_a.member(roles=["coach"], username="c1")
    co = tenant_a.member(roles=["coach"], username="c2")
    agent = tenant_a.member(roles=["agent"], username="a1")
    tenant_a.team(name="Desk", manager=coach, members=[agent], co_managers=[co])
    with tenant_a.scope():
        ensure_level_scale(organization=tenant_a.org)
        level = SkillLevel.objects.order_by("rank").first()
        skill = Skill.objects.create(organization=tenant_a.org, name="VPN")
        assessment = services.open_manual_assessment(organization=tenant_a.org, actor=coach,
                                                     trainee=agent)
        services.add_assessment_skill(assessment=assessment, actor=coach, skill=skill,
                                      level=level)
        services.start_assessment(assessment=assessment, actor=coach)
        services.resolve_assessment(assessment=assessment, actor=coach)
    barrier = threading.Barrier(2)
    results = []

    def complete(actor):
        try:
            with scope(organization=tenant_a.org):
                barrier.wait()
                services.complete_assessment(assessment=assessment, actor=actor)
            results.append("ok")
        except services.AssessmentError as error:
            results.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(u,)) for u in (coach, co)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [
        "This assessment is already closed complete; it cannot be completed any more.", "ok"]
    with scopes_disabled():
        assert SkillChange.objects.filter(user=agent, skill=skill).count() == 1
        assert CoachingAssessment.objects.get().transitions.filter(
            to_state="closed_complete").count() == 1


def test_api_lists_filters_pages_and_isolates_tenants(world, client, tenant_b):
    first = open_for(world, world.agent)
    open_for(world, world.agent2)
    third = open_for(world, world.agent)
    with world.tenant.scope():
        services.start_assessment(assessment=third, actor=world.coach)
    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    body = api.get("assessments", {"limit": 2}).json()
    assert [a["id"] for a in body["items"]] == [third.pk, third.pk - 1]
    rest = api.get("assessments", {"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [a["id"] for a in rest["items"]] == [first.pk] and rest["next_cursor"] is None
    assert [a["id"] for a in api.get("assessments", {"state": "in_progress"}).json()["items"]
            ] == [third.pk]
    assert [a["id"] for a in api.get("assessments", {"trainee": "agent"}).json()["items"]
            ] == [third.pk, first.pk]
    one = api.get(f"assessments/{first.pk}").json()
    assert {k: one[k] for k in ("state", "trainee", "coach", "opportunity", "work_item",
                                "rating")} == {
        "state": "open", "trainee": "agent", "coach": "coach", "opportunity": None,
        "work_item": None, "rating": None}
    assert api.get("assessments", {"state": "done"}).status_code == 422
    assert api.get("assessments", {"cursor": "!!"}).status_code == 400
    other = ApiClient(client=client, token=make_token(tenant=tenant_b))
    assert other.get(f"assessments/{first.pk}").status_code == 404
    assert other.get("assessments").json() == {"items": [], "next_cursor": None}
    assert ApiClient(client=client, token=None).get("assessments").status_code == 401
