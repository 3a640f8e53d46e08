"""Marks for coaching, coaching groups and dispatching a group (services)."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Count, Q
from django_scopes import scope, scopes_disabled

from coaching.models import (
    CoachingAssignment,
    CoachingGroup,
    CoachingGroupAgent,
    CoachingMark,
    MarkState,
)
from coaching.selectors_assignments import individual_candidates, pending_groups
from coaching.services.assignments import dispatch_group
from coaching.services.marks import (
    CoachingError,
    add_agents_to_group,
    create_group,
    mark_for_coaching,
    remove_mark,
)

from .assignment_fixtures import aw_fixture, follow_up  # noqa: F401

pytestmark = pytest.mark.django_db
NAME = {"name": "Empathy coaching"}


def test_marking_creates_one_active_mark_per_area_for_the_evaluated_agent(aw):
    evaluation = aw.audit(aw.agent)
    with aw.tenant.scope():
        marks = mark_for_coaching(evaluation=evaluation, area_keys=["empathy", "greeting"],
                                  marked_by=aw.qa)
        rows = list(CoachingMark.objects.order_by("attribute_key").values_list(
            "agent__username", "attribute_key", "attribute_name", "interaction_id", "state"))
    assert len(marks) == 2
    assert rows == [
        ("alice", "empathy", "Empathy", evaluation.interaction_id, "active"),
        ("alice", "greeting", "Greeting", evaluation.interaction_id, "active"),
    ]


def test_a_second_active_mark_for_the_same_agent_and_area_is_refused_and_writes_nothing(aw):
    first, second = aw.audit(aw.agent), aw.audit(aw.agent)
    with aw.tenant.scope():
        mark_for_coaching(evaluation=first, area_keys=["empathy"], marked_by=aw.qa)
        with pytest.raises(CoachingError) as refused:
            mark_for_coaching(evaluation=second, area_keys=["greeting", "empathy"],
                              marked_by=aw.qa)
        assert CoachingMark.objects.count() == 1
    assert refused.value.message == (
        "You already marked Alice for coaching in “Empathy”; remove that mark before "
        "marking again.")
    assert refused.value.field == "areas"


def test_the_database_keeps_one_active_mark_per_marker_agent_and_area(aw):
    from django.db import IntegrityError, transaction

    evaluation = aw.audit(aw.agent)
    with aw.tenant.scope():
        mark_for_coaching(evaluation=evaluation, area_keys=["empathy"], marked_by=aw.qa)
        with pytest.raises(IntegrityError), transaction.atomic():
            CoachingMark.objects.create(
                organization=aw.tenant.org, agent=aw.agent, attribute_key="empathy",
                attribute_name="Empathy", interaction=evaluation.interaction, marked_by=aw.qa)


def test_another_user_may_mark_the_same_area_and_a_removed_mark_frees_it(aw):
    evaluation = aw.audit(aw.agent)
    with aw.tenant.scope():
        mine = mark_for_coaching(evaluation=evaluation, area_keys=["empathy"], marked_by=aw.qa)
        mark_for_coaching(evaluation=evaluation, area_keys=["empathy"], marked_by=aw.coach)
        remove_mark(mark=mine[0], actor=aw.qa)
        mark_for_coaching(evaluation=evaluation, area_keys=["empathy"], marked_by=aw.qa)
        states = sorted(CoachingMark.objects.values_list("marked_by__username", "state"))
    assert states == [("carl", "active"), ("quinn", "active"), ("quinn", "removed")]


@pytest.mark.parametrize(("keys", "message"), [
    ([], "Choose at least one coaching area."),
    (["nope"], "“nope” is not an attribute of Customer care v1."),
])
def test_bad_areas_are_refused(aw, keys, message):
    evaluation = aw.audit(aw.agent)
    with aw.tenant.scope(), pytest.raises(CoachingError) as refused:
        mark_for_coaching(evaluation=evaluation, area_keys=keys, marked_by=aw.qa)
    assert refused.value.message == message
    with scopes_disabled():
        assert CoachingMark.objects.count() == 0


def test_a_coach_cannot_mark_an_agent_outside_their_teams(aw):
    evaluation = aw.audit(aw.agent3)
    with aw.tenant.scope(), pytest.raises(CoachingError) as refused:
        mark_for_coaching(evaluation=evaluation, area_keys=["empathy"], marked_by=aw.coach)
    assert refused.value.message == (
        "You may not coach Dora: they are not in a team you coach.")
    with scopes_disabled():
        assert CoachingMark.objects.count() == 0


def _marked_group(aw, *agents, name="Empathy refresher"):
    with aw.tenant.scope():
        for agent in agents:
            mark_for_coaching(evaluation=aw.audit(agent), area_keys=["empathy"],
                              marked_by=aw.qa)
        group = create_group(organization=aw.tenant.org, name=name, description="Why",
                             area_keys=["empathy"], created_by=aw.qa)
        if agents:
            add_agents_to_group(group=group, agents=list(agents), actor=aw.qa)
    return group


def test_group_names_are_unique_among_unsent_groups_case_insensitively(aw):
    group = _marked_group(aw, aw.agent)
    with aw.tenant.scope():
        with pytest.raises(CoachingError) as refused:
            create_group(organization=aw.tenant.org, name="empathy REFRESHER", created_by=aw.qa)
        assert refused.value.message == (
            "A group named “empathy REFRESHER” is waiting to be sent; choose another name.")
        assert refused.value.field == "name"
        dispatch_group(group_id=group.pk, **NAME, actor=aw.qa, follow_up_date=follow_up())
        again = create_group(organization=aw.tenant.org, name="Empathy refresher",
                             created_by=aw.qa)
        assert CoachingGroup.objects.filter(name="Empathy refresher").count() == 2
    assert again.sent_at is None
    with aw.other.scope():
        create_group(organization=aw.other.org, name="Empathy refresher",
                     created_by=aw.outsider)


def test_grouped_agents_leave_the_individuals_and_the_group_counts_conversations(aw):
    group = _marked_group(aw, aw.agent, aw.agent2)
    with aw.tenant.scope():
        mark_for_coaching(evaluation=aw.audit(aw.agent3), area_keys=["greeting"],
                          marked_by=aw.qa)
        candidates = individual_candidates(aw.tenant.org, aw.qa)
        groups = list(pending_groups(aw.tenant.org, aw.qa))
    assert [c.agent.username for c in candidates] == ["dora"]
    assert [(g.name, g.conversations, [m.agent.username for m in g.members.all()])
            for g in groups] == [("Empathy refresher", 2, ["alice", "bob"])]
    assert group.pk == groups[0].pk


def test_an_agent_without_waiting_marks_cannot_be_added(aw):
    group = _marked_group(aw)
    with aw.tenant.scope(), pytest.raises(CoachingError) as refused:
        add_agents_to_group(group=group, agents=[aw.agent2], actor=aw.qa)
    assert refused.value.message == (
        "Bob has no marked conversations waiting; mark them from an evaluation first.")
    with scopes_disabled():
        assert CoachingGroupAgent.objects.count() == 0


def test_dispatching_an_empty_group_is_refused_and_writes_nothing(aw):
    group = _marked_group(aw)
    with aw.tenant.scope(), pytest.raises(CoachingError) as refused:
        dispatch_group(group_id=group.pk, **NAME, actor=aw.qa, follow_up_date=follow_up())
    assert refused.value.message == (
        "“Empathy refresher” has no marked conversations; add agents with marks before "
        "assigning coaching.")
    with scopes_disabled():
        group.refresh_from_db()
        assert (group.sent_at, CoachingAssignment.objects.count()) == (None, 0)


def test_dispatch_creates_one_individual_assignment_per_agent_and_sends_the_group(
        aw, django_capture_on_commit_callbacks):
    group = _marked_group(aw, aw.agent, aw.agent2)
    with aw.tenant.scope(), django_capture_on_commit_callbacks(execute=True):
        created = dispatch_group(group_id=group.pk, **NAME, actor=aw.qa, follow_up_date=follow_up(),
                                 strengths="Warm", improvements="Listen",
                                 action_plan=["Replay the call", ""])
        rows = sorted(CoachingAssignment.objects.values_list(
            "agent__username", "name", "status", "origin_group_id", "action_plan"))
        marks = set(CoachingMark.objects.values_list("state", flat=True))
        group.refresh_from_db()
        counts = [a.interaction_links.count() for a in created]
    assert rows == [
        ("alice", "Empathy coaching", "not_started", group.pk, ["Replay the call"]),
        ("bob", "Empathy coaching", "not_started", group.pk, ["Replay the call"]),
    ]
    assert counts == [1, 1]
    assert marks == {MarkState.ASSIGNED}
    assert group.sent_at is not None
    # Each agent gets one e-mail with their own direct link and no group in it.
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert sorted(bodies) == ["alice@example.com", "bob@example.com"]
    assert all("Empathy coaching" in b and "/o/acme/coaching/me/assignments/" in b
               for b in bodies.values())
    assert all("refresher" not in b and "group" not in b.lower() for b in bodies.values())


def test_dispatching_twice_is_refused(aw):
    group = _marked_group(aw, aw.agent)
    with aw.tenant.scope():
        dispatch_group(group_id=group.pk, **NAME, actor=aw.qa, follow_up_date=follow_up())
        with pytest.raises(CoachingError) as refused:
            dispatch_group(group_id=group.pk, **NAME, actor=aw.admin, follow_up_date=follow_up())
        assert CoachingAssignment.objects.count() == 1
    assert "was already dispatched on" in refused.value.message


@pytest.mark.django_db(transaction=True)
def test_two_qa_users_dispatching_at_once_make_exactly_one_dispatch(aw):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite serializes writers instead.")
    group = _marked_group(aw, aw.agent, aw.agent2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def dispatch(actor):
        from django.db import connections

        try:
            with scope(organization=aw.tenant.org):
                barrier.wait()
                dispatch_group(group_id=group.pk, **NAME, actor=actor, follow_up_date=follow_up())
            outcomes.append("sent")
        except CoachingError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch, args=(u,)) for u in (aw.qa, aw.admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "sent"]
    with scopes_disabled():
        assert CoachingAssignment.objects.count() == 2
        assert CoachingAssignment.objects.values("origin_group").distinct().count() == 1


def test_the_demo_seeds_marks_groups_and_assignments_in_every_status_once(aw):
    """seed_demo's coaching part: six marked agents, a dispatched group of two, a waiting
    group with conversations and an empty one, individual assignments in every status."""
    from coaching.demo import seed_quality_coaching
    from tenancy.demo import DemoPeople

    extra = [aw.tenant.member(username=f"agent{i}", first_name=f"Agent{i}") for i in range(6)]
    agents = [aw.agent, aw.agent2, aw.agent3, *extra]
    for agent in agents * 2:  # two audits each: an assignment that can be half reviewed
        aw.audit(agent)
    people = DemoPeople(org_admin=aw.admin, coaches=[aw.coach], qa_analyst=aw.qa,
                        skill_admin=None, learning_admin=None, agents=agents)
    with aw.tenant.scope():
        seed_quality_coaching(aw.tenant.org, people, None)
        seed_quality_coaching(aw.tenant.org, people, None)  # ran before: nothing more
        groups = [(g.name, g.sent_at is not None, g.conversations)
                  for g in CoachingGroup.objects.annotate(conversations=Count(
                      "marks__interaction", filter=Q(marks__state=MarkState.ACTIVE),
                      distinct=True)).order_by("name")]
        assignments = sorted(
            (a.origin_group is not None, a.status, a.interaction_links.count())
            for a in CoachingAssignment.objects.select_related("origin_group"))
        marks = sorted(CoachingMark.objects.values_list("state", flat=True))
        waiting = [c.agent.username for c in individual_candidates(aw.tenant.org, aw.qa)]
    assert groups == [("Closing skills", False, 1), ("Empathy refresher", True, 0),
                      ("New joiners (empty)", False, 0)]
    assert assignments == [
        (False, "completed", 2), (False, "in_progress", 2), (False, "not_started", 2),
        (True, "not_started", 1), (True, "not_started", 1)]
    assert marks == ["active"] * 8 + ["assigned"] * 4
    assert len(waiting) == 3
