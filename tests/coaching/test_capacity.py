"""Coach capacity (issue 20): automatic assignment (team manager, round robin) skips a
coach at capacity and the assessment waits unassigned in the backlog; the per-coach
override; the capacity page (numbers per coach, editing, errors by field, 404s, constant
queries)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingAssessment
from coaching.selectors_backlog import DEFAULT_SLA_HOURS as DEFAULT_SLA
from coaching.selectors_backlog import backlog_settings, coach_capacity
from coaching.services import complete_assessment, resolve_assessment, start_assessment
from coaching.services.backlog import BacklogError, set_coach_capacity, update_backlog_settings
from opportunities.models import OpportunityMatch
from tenancy.models import Organization

from .assignment_fixtures import aw_fixture  # noqa: F401
from .backlog_fixtures import assessment_for

pytestmark = pytest.mark.django_db


def _item(external_id, agent="agent", **fields):
    return {"external_id": external_id, "kind": "incident", "team": "Service Desk",
            "assigned_to": agent, **fields}


def _capacity(world, capacity, **overrides):
    with world.tenant.scope():
        update_backlog_settings(organization=world.tenant.org, sla_hours=DEFAULT_SLA,
                                capacity=capacity)
        for user, value in overrides.items():
            set_coach_capacity(organization=world.tenant.org, coach=getattr(world, user),
                               capacity=value)


def _rows(world):
    with world.tenant.scope():
        return list(CoachingAssessment.objects.order_by("id").values_list(
            "work_item__external_id", "coach__username"))


def _outcomes(world):
    with world.tenant.scope():
        return list(OpportunityMatch.objects.order_by("id").values_list(
            "work_item__external_id", "outcome"))


def test_team_manager_at_capacity_is_skipped_and_the_assessment_waits_unassigned(world):
    _capacity(world, 2)
    world.opportunity(fires_on="any")
    world.push(*[_item(f"INC{i}", reassignment_count=4) for i in range(1, 4)])
    assert _rows(world) == [("INC1", "coach"), ("INC2", "coach"), ("INC3", None)]
    assert _outcomes(world) == [("INC1", "fired"), ("INC2", "fired"), ("INC3", "unassigned")]


def test_per_coach_override_raises_one_coachs_maximum(world):
    _capacity(world, 1, coach=3)
    world.opportunity(fires_on="any")
    world.push(*[_item(f"INC{i}", reassignment_count=4) for i in range(1, 5)])
    assert _rows(world) == [("INC1", "coach"), ("INC2", "coach"), ("INC3", "coach"),
                            ("INC4", None)]


def test_round_robin_skips_the_full_coach_then_falls_back_to_the_backlog(world):
    _capacity(world, 2, co_coach=1)
    world.opportunity(fires_on="any", coach_choice="round_robin")
    world.push(*[_item(f"INC{i}", reassignment_count=4) for i in range(1, 6)])
    # coach (max 2) and cocoach (max 1) alternate until each is full; then the backlog
    assert _rows(world) == [("INC1", "coach"), ("INC2", "cocoach"), ("INC3", "coach"),
                            ("INC4", None), ("INC5", None)]


def test_completed_items_free_capacity(world):
    _capacity(world, 1)
    world.opportunity(fires_on="any")
    world.push(_item("INC1", reassignment_count=4))
    with world.tenant.scope():
        first = CoachingAssessment.objects.get(work_item__external_id="INC1")
        for step in (start_assessment, resolve_assessment, complete_assessment):
            first = step(assessment=first, actor=world.coach)
    world.push(_item("INC2", reassignment_count=4))
    assert _rows(world) == [("INC1", "coach"), ("INC2", "coach")]


def test_capacity_settings_are_checked(world):
    with world.tenant.scope():
        with pytest.raises(BacklogError) as bad:
            set_coach_capacity(organization=world.tenant.org, coach=world.agent, capacity=3)
        assert (bad.value.field, bad.value.message) == (
            "coach", f"{world.agent} is not a coach in this organization.")
        with pytest.raises(BacklogError) as bad:
            set_coach_capacity(organization=world.tenant.org, coach=world.coach, capacity=0)
        assert (bad.value.field, bad.value.message) == (
            "capacity", "The capacity is a whole number from 1 to 500.")
        with pytest.raises(BacklogError) as bad:
            update_backlog_settings(organization=world.tenant.org,
                                    sla_hours={**DEFAULT_SLA, "dispute": True}, capacity=5)
        assert bad.value.field == "sla_dispute"
        set_coach_capacity(organization=world.tenant.org, coach=world.coach, capacity=7)
        set_coach_capacity(organization=world.tenant.org, coach=world.coach2, capacity=4)
        set_coach_capacity(organization=world.tenant.org, coach=world.coach, capacity=None)
        org = Organization.objects.get(pk=world.tenant.org.pk)
    settings = backlog_settings(org)
    assert (settings.capacity, settings.capacity_overrides) == (25, {world.coach2.pk: 4})
    assert org.settings["coaching"]["backlog"]["capacity_overrides"] == {
        str(world.coach2.pk): 4}


# --- the capacity page -----------------------------------------------------------------


PAGE = "coaching/backlog/capacity/"


def test_capacity_numbers_per_coach(aw):
    carl_open = [assessment_for(aw, aw.agent, actor=aw.coach, hours=h) for h in (1, 200)]
    done = [assessment_for(aw, aw.agent2, actor=aw.coach, hours=h) for h in (10, 30, 50)]
    with aw.tenant.scope():
        for assessment in done:
            for step in (start_assessment, resolve_assessment, complete_assessment):
                assessment = step(assessment=assessment, actor=aw.coach)
        # completed 40 days ago: outside the 30 days
        old = assessment_for(aw, aw.agent2, actor=aw.coach, hours=1000)
        for step in (start_assessment, resolve_assessment, complete_assessment):
            old = step(assessment=old, actor=aw.coach)
        CoachingAssessment.objects.filter(pk=old.pk).update(
            closed_at=timezone.now() - timedelta(days=40))
        set_coach_capacity(organization=aw.tenant.org, coach=aw.coach2, capacity=3)
        rows = {r.coach.username: r for r in coach_capacity(organization=aw.tenant.org)}
    assert len(carl_open) == 2
    carl, cleo = rows["carl"], rows["cleo"]
    assert (carl.open, carl.overdue, carl.completed, carl.capacity, carl.overridden) == (
        2, 1, 3, 25, False)
    assert round(carl.median_hours) == 30 and carl.median_label == "1 d 6 h"
    assert (cleo.open, cleo.overdue, cleo.completed, cleo.median_hours, cleo.capacity,
            cleo.overridden, cleo.median_label) == (0, 0, 0, None, 3, True, "—")
    assert list(rows) == ["carl", "cleo"]


def test_capacity_page_shows_bars_and_saves_an_override(client, aw):
    assessment_for(aw, aw.agent, actor=aw.coach, hours=1)
    client.force_login(aw.admin)
    page = client.get(aw.tenant.url(PAGE))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'aria-label="1 open of 25"' in body and "1 / 25 (4%)" in body
    response = client.post(aw.tenant.url(PAGE), {"coach": aw.coach.pk, "capacity": 1})
    assert (response.status_code, response.url) == (302, "/o/acme/coaching/backlog/capacity/")
    body = client.get(aw.tenant.url(PAGE)).content.decode()
    assert "1 / 1 (100%)" in body and "At capacity" in body
    # errors by field, next to that coach's input; nothing saved
    bad = client.post(aw.tenant.url(PAGE), {"coach": aw.coach2.pk, "capacity": 900})
    assert bad.status_code == 400
    assert "Ensure this value is less than or equal to 500." in bad.content.decode()
    assert f'id="cap-{aw.coach2.pk}-error"' in bad.content.decode()
    not_coach = client.post(aw.tenant.url(PAGE), {"coach": aw.agent.pk, "capacity": 3})
    assert not_coach.status_code == 400
    assert f"{aw.agent} is not a coach in this organization." in not_coach.content.decode()
    # a member of another tenant as the coach: 404
    assert client.post(aw.tenant.url(PAGE), {"coach": aw.outsider.pk, "capacity": 3}
                       ).status_code == 404
    with scopes_disabled():
        settings = backlog_settings(Organization.objects.get(pk=aw.tenant.org.pk))
    assert settings.capacity_overrides == {aw.coach.pk: 1}
    # coaches may not post either
    client.force_login(aw.coach)
    assert client.post(aw.tenant.url(PAGE), {"coach": aw.coach.pk, "capacity": 99}
                       ).status_code == 404


def test_capacity_page_queries_stay_constant(client, aw, django_assert_num_queries):
    assessment_for(aw, aw.agent, actor=aw.coach, hours=1)
    client.force_login(aw.admin)
    client.get(aw.tenant.url(PAGE))
    with CaptureQueriesContext(connection) as ctx:
        client.get(aw.tenant.url(PAGE))
    for hours in range(20):
        assessment_for(aw, aw.agent, actor=aw.coach, hours=hours)
        assessment_for(aw, aw.agent3, actor=aw.coach2, hours=hours)
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(aw.tenant.url(PAGE))
