"""The trigger pipeline: matches open assessments once, honouring suppression, sampling,
exemption and coach assignment; the virtual coach completes at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.enums import AssessmentState
from coaching.models import CoachingAssessment
from coaching.services import sampled_in
from learning.enums import ContentSource
from learning.models import LearningTask
from learning.services import save_course_item
from opportunities.models import OpportunityMatch
from tenancy.models import Membership
from work.models import WorkEvent
from work.services import process_work_events


def assessments(world):
    with world.tenant.scope():
        return list(
            CoachingAssessment.objects.order_by("id").values_list(
                "trainee__username", "coach__username", "state", "work_item__external_id"
            )
        )


def outcomes(world, opportunity):
    with world.tenant.scope():
        return list(
            OpportunityMatch.objects.filter(opportunity=opportunity)
            .order_by("id").values_list("work_item__external_id", "outcome")
        )


def item(external_id, agent="agent", **fields):
    return {"external_id": external_id, "kind": "incident", "team": "Service Desk",
            "assigned_to": agent, **fields}


def test_match_opens_one_assessment_for_the_agent_assigned_to_the_team_manager(world):
    opportunity = world.opportunity()
    world.push(item("INC1", reassignment_count=1), item("INC2", reassignment_count=0))
    world.push(item("INC1", reassignment_count=3), item("INC2", reassignment_count=2))
    assert assessments(world) == [("agent", "coach", "open", "INC1")]
    assert outcomes(world, opportunity) == [("INC1", "fired")]


def test_same_event_delivered_twice_opens_one_assessment(world):
    world.opportunity(fires_on="any")
    summary = world.push(item("INC1", reassignment_count=4))
    with world.tenant.scope():
        # The outbox marked it processed; deliver it again as a fresh run would.
        WorkEvent.objects.filter(pk__in=summary.event_ids).update(processed_at=None)
        from work.models import HandlerRun

        HandlerRun.objects.filter(event_id__in=summary.event_ids).delete()
        process_work_events(organization=world.tenant.org, event_ids=summary.event_ids)
        from coaching.services import open_assessments_for_event

        event = WorkEvent.objects.select_related("work_item").get(pk=summary.event_ids[0])
        again = open_assessments_for_event(event=event)
    assert len(assessments(world)) == 1
    assert [a.trainee.username for a in again] == ["agent"]


def test_fires_on_create_only_ignores_updates(world):
    world.opportunity(fires_on="create")
    world.push(item("INC1", reassignment_count=0))
    world.push(item("INC1", reassignment_count=5))
    world.push(item("INC2", reassignment_count=3))
    assert [row[3] for row in assessments(world)] == ["INC2"]


def test_kinds_limit_the_opportunity(world):
    world.opportunity(kinds=["case"], fires_on="any")
    world.push(item("INC1", reassignment_count=3), {**item("CS1", reassignment_count=3),
                                                     "kind": "case"})
    assert [row[3] for row in assessments(world)] == ["CS1"]


def test_suppression_window_keeps_a_second_assessment_away(world):
    opportunity = world.opportunity(suppress_days=14)
    world.push(item("INC1", reassignment_count=3))
    world.push(item("INC2", reassignment_count=3))
    world.push(item("INC3", agent="agent2", reassignment_count=3))
    assert [row[3] for row in assessments(world)] == ["INC1", "INC3"]
    assert outcomes(world, opportunity) == [
        ("INC1", "fired"), ("INC2", "suppressed"), ("INC3", "fired"),
    ]


def test_suppression_window_ends(world):
    world.opportunity(suppress_days=14)
    world.push(item("INC1", reassignment_count=3))
    with world.tenant.scope():
        CoachingAssessment.objects.update(created_at=timezone.now() - timedelta(days=15))
    world.push(item("INC2", reassignment_count=3))
    assert [row[3] for row in assessments(world)] == ["INC1", "INC2"]


def test_sampling_is_deterministic_per_event_and_honours_the_rate(world):
    opportunity = world.opportunity(sample_rate=30, fires_on="any")
    items = [item(f"INC{i}", agent="agent" if i % 2 else "agent2", reassignment_count=3)
             for i in range(40)]
    summary = world.push(*items)
    expected = {
        f"INC{i}" for i, event_id in enumerate(summary.event_ids)
        if sampled_in(opportunity_id=opportunity.pk, event_id=event_id, sample_rate=30)
    }
    opened = {row[3] for row in assessments(world)}
    assert opened == expected
    assert 0 < len(opened) < 40
    sampled_out = {w for w, o in outcomes(world, opportunity) if o == "sampled_out"}
    assert sampled_out == {f"INC{i}" for i in range(40)} - expected


def test_sampled_in_edges():
    assert sampled_in(opportunity_id=1, event_id=1, sample_rate=100) is True
    assert sampled_in(opportunity_id=1, event_id=1, sample_rate=0) is False
    assert [sampled_in(opportunity_id=7, event_id=e, sample_rate=50) for e in range(5)] == [
        sampled_in(opportunity_id=7, event_id=e, sample_rate=50) for e in range(5)
    ]


def test_agents_in_their_first_days_are_exempt(world):
    opportunity = world.opportunity(exempt_first_days=30)
    with scopes_disabled():
        Membership.objects.filter(user=world.agent2).update(
            joined_at=timezone.now() - timedelta(days=10)
        )
    world.push(item("INC1", reassignment_count=3), item("INC2", agent="agent2",
                                                         reassignment_count=3))
    assert [row[0] for row in assessments(world)] == ["agent"]
    assert outcomes(world, opportunity) == [("INC1", "fired"), ("INC2", "exempt")]


def test_named_coach_and_round_robin(world):
    world.opportunity(name="Named", coach_choice="named", named_coach=world.coach2,
                      condition={"field": "priority", "op": "eq", "value": 1})
    world.opportunity(name="Rotating", coach_choice="round_robin",
                      condition={"field": "priority", "op": "eq", "value": 2})
    world.push(item("P1", priority=1))
    world.push(*[item(f"R{i}", priority=2) for i in range(4)])
    rows = assessments(world)
    assert rows[0] == ("agent", "othercoach", "open", "P1")
    assert sorted(row[1] for row in rows[1:]) == ["coach", "coach", "cocoach", "cocoach"]


def test_no_agent_opens_nothing_and_no_coach_opens_it_unassigned(world):
    opportunity = world.opportunity()
    world.push({"external_id": "INC1", "kind": "incident", "reassignment_count": 3})
    world.push(item("INC2", agent="coach", reassignment_count=3))  # coach manages himself
    # nothing is lost for want of a coach: it waits in the backlog
    assert assessments(world) == [("coach", None, "open", "INC2")]
    assert outcomes(world, opportunity) == [("INC1", "no_agent"), ("INC2", "unassigned")]


def test_change_operators_and_attributes_use_the_event(world):
    world.opportunity(name="Escalated", condition={"all": [
        {"field": "escalated", "op": "changed_to", "value": True},
        {"field": "attributes.vip", "op": "eq", "value": True},
    ]})
    world.opportunity(name="Moved team", condition={
        "field": "team", "op": "changed_from", "value": "Network"})
    world.push(item("INC1", escalated=False, attributes={"vip": True}),
               item("INC2", escalated=False), item("INC3", team="Network"))
    world.push(item("INC1", escalated=True), item("INC2", escalated=True),
               item("INC3", team="Service Desk"))
    world.push(item("INC1", short_description="still escalated"))
    assert [row[3] for row in assessments(world)] == ["INC1", "INC3"]


def test_inactive_and_changed_opportunities_are_picked_up_at_once(world):
    opportunity = world.opportunity(active=False)
    world.push(item("INC1", reassignment_count=3))
    assert assessments(world) == []
    from opportunities.services import OpportunityData, save_opportunity

    with world.tenant.scope():
        save_opportunity(organization=world.tenant.org, opportunity=opportunity,
                         data=OpportunityData(name=opportunity.name,
                                              condition=opportunity.condition,
                                              fires_on="any"))
    world.push(item("INC2", reassignment_count=3))
    assert [row[3] for row in assessments(world)] == ["INC2"]


def test_virtual_coach_completes_at_once_and_awards_skills(world):
    from skills.models import Skill, UserSkill
    from skills.services import ensure_level_scale

    with world.tenant.scope():
        ensure_level_scale(organization=world.tenant.org)
        from skills.models import SkillLevel

        level = SkillLevel.objects.order_by("rank").first()
        skill = Skill.objects.create(organization=world.tenant.org, name="Firewall")
        course = save_course_item(organization=world.tenant.org, title="Firewall basics",
                                  source=ContentSource.FREE_FORM, body="<p>Rules.</p>")
    world.opportunity(virtual_coach_name="Auto coach", skills=[(skill, level)],
                      courses=[course])
    world.push(item("INC1", reassignment_count=3))
    with world.tenant.scope():
        assessment = CoachingAssessment.objects.get()
        held = UserSkill.objects.get(user=world.agent, skill=skill)
        transitions = list(assessment.transitions.values_list("from_state", "to_state",
                                                                "actor_label"))
        courses = list(assessment.courses.values_list("title", flat=True))
        tasks = list(LearningTask.objects.values_list("course_item__title", "assigned_to",
                                                      "assigned_by"))
        linked = list(assessment.learning_task_links.values_list("task__course_item__title",
                                                                 flat=True))
    assert assessment.state == AssessmentState.CLOSED_COMPLETE
    assert courses == ["Firewall basics"]
    assert tasks == [("Firewall basics", world.agent.pk, None)]
    assert linked == ["Firewall basics"]
    assert held.level == level
    assert transitions == [
        ("", "open", "Opportunity “Reassigned three times”"),
        ("open", "closed_complete", "Virtual coach Auto coach"),
    ]


def _membership_locks(queries) -> list[str]:
    return [q["sql"] for q in queries
            if 'FROM "tenancy_membership"' in q["sql"] and " FOR " in q["sql"]]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks are PostgreSQL's (SQLite locks the whole database)",
)
def test_trigger_locks_only_the_membership_row_and_only_for_a_suppression_window(world):
    """Locking the user row too (through an ORDER BY on the user table) collided with the
    API's foreign-key checks on that row: deadlocks under load (issue 12, item 2)."""
    world.opportunity(name="Any reassignment", suppress_days=0)
    with CaptureQueriesContext(connection) as without_window:
        world.push(item("INC1", reassignment_count=3))
    world.opportunity(name="Once a fortnight", suppress_days=14)
    with CaptureQueriesContext(connection) as with_window:
        world.push(item("INC2", reassignment_count=3))
    assert _membership_locks(without_window.captured_queries) == []
    [lock] = _membership_locks(with_window.captured_queries)
    assert lock.startswith('SELECT "tenancy_membership"."id"')
    assert lock.endswith('FOR NO KEY UPDATE OF "tenancy_membership"')
    assert "tenancy_user" not in lock
    assert [row[3] for row in assessments(world)] == ["INC1", "INC2", "INC2"]
