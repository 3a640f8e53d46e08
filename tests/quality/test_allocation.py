"""Audit allocation: the minimum per agent, the evaluators' caps, no self-audit, fairness
under short capacity, reproducibility and idempotence."""

from collections import Counter
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from quality.models import AuditAssignment, Evaluation
from quality.services.allocation import AllocationSummary, allocate_week
from tenancy.models import Membership

from .conftest import T0, make_interaction, make_scorecard

WEEK = date(2026, 11, 2)


def _calls(world, agent, n, *, prefix=None, start=T0):
    prefix = prefix or agent.username
    return [make_interaction(world.tenant.org, agent=agent, external_id=f"{prefix}-{i}",
                             opened_at=start + timedelta(hours=i)) for i in range(n)]


def _set_quality(org, **values):
    org.settings = {**(org.settings or {}), "quality": values}
    org.save(update_fields=["settings"])


def _allocate(world, week=WEEK) -> AllocationSummary:
    with scope(organization=world.tenant.org):
        return allocate_week(organization=world.tenant.org, week_start=week)


def _per(field):
    with scopes_disabled():
        return Counter(AuditAssignment.objects.values_list(f"{field}__username", flat=True))


def test_every_agent_gets_the_minimum_and_reruns_add_nothing(world):
    for agent in (world.agent, world.agent2, world.agent3):
        _calls(world, agent, 8)
    _calls(world, world.agent, 3, prefix="late", start=T0 + timedelta(days=7))  # next week

    first = _allocate(world, week=date(2026, 11, 5))  # any day of the week
    second = _allocate(world)

    assert first == AllocationSummary(week=WEEK, agents=3, agents_covered=3, assigned=15,
                                      shortfall=0, per_agent=5, capacity=250)
    assert (second.assigned, second.agents_covered, second.capacity) == (0, 3, 235)
    assert _per("agent") == {"alice": 5, "bob": 5, "dora": 5}
    assert _per("evaluator") == {"quinn": 15}
    with scopes_disabled():
        weeks = set(AuditAssignment.objects.values_list("week", flat=True))
        external = set(AuditAssignment.objects.values_list("interaction__external_id",
                                                           flat=True))
    assert weeks == {WEEK}
    assert not any(e.startswith("late") for e in external)


def test_short_capacity_reduces_everyone_evenly(world):
    _set_quality(world.tenant.org, audits_per_evaluator_day=2)  # 10 a week
    for agent in (world.agent, world.agent2, world.agent3):
        _calls(world, agent, 8)

    summary = _allocate(world)

    assert (summary.assigned, summary.shortfall, summary.agents_covered, summary.capacity) == (
        10, 5, 0, 10)
    assert sorted(_per("agent").values()) == [3, 3, 4]
    assert _allocate(world).assigned == 0


def test_audits_spread_over_evaluators_least_loaded_first(world):
    world.tenant.member(roles=["qa_analyst"], username="quentin")
    for agent in (world.agent, world.agent2, world.agent3):
        _calls(world, agent, 8)

    assert _allocate(world).assigned == 15
    assert _per("evaluator") == {"quinn": 8, "quentin": 7}


def test_nobody_is_allocated_their_own_interactions(world):
    _calls(world, world.qa, 6)
    _calls(world, world.agent, 2)

    summary = _allocate(world)

    assert _per("agent") == {"alice": 2}
    assert (summary.agents, summary.agents_covered, summary.shortfall) == (2, 1, 5)
    world.tenant.member(roles=["qa_analyst"], username="quentin")
    assert _allocate(world).assigned == 5
    with scopes_disabled():
        own = AuditAssignment.objects.filter(agent=world.qa)
        assert set(own.values_list("evaluator__username", flat=True)) == {"quentin"}


def test_without_qa_analysts_coaches_audit_their_own_teams(world):
    with scopes_disabled():
        Membership.objects.filter(user=world.qa).update(is_qa_analyst=False)
    for agent in (world.agent, world.agent2, world.agent3):
        _calls(world, agent, 6)

    assert _allocate(world).assigned == 15
    with scopes_disabled():
        pairs = Counter(AuditAssignment.objects.values_list("agent__username",
                                                            "evaluator__username"))
    assert pairs == {("alice", "carl"): 5, ("bob", "carl"): 5, ("dora", "cleo"): 5}


def test_audited_and_allocated_interactions_count_toward_the_minimum(world):
    org = world.tenant.org
    card = make_scorecard(org)
    calls = _calls(world, world.agent, 8)
    with scopes_disabled():
        Evaluation.objects.create(organization=org, interaction=calls[0], agent=world.agent,
                                  scorecard=card, kind="manual", evaluator=world.coach,
                                  interaction_at=T0)
        AuditAssignment.objects.create(organization=org, interaction=calls[1],
                                       agent=world.agent, evaluator=world.qa, week=WEEK)

    assert _allocate(world).assigned == 3
    with scopes_disabled():
        chosen = set(AuditAssignment.objects.values_list("interaction_id", flat=True))
    assert calls[0].pk not in chosen and len(chosen) == 4


def test_the_sample_is_reproducible_and_says_why(world):
    org = world.tenant.org
    card = make_scorecard(org)
    calls = _calls(world, world.agent, 12)
    with scopes_disabled():
        Evaluation.objects.create(organization=org, interaction=calls[3], agent=world.agent,
                                  scorecard=card, kind="auto", state="released", total=40.0,
                                  interaction_at=T0)
        Membership.objects.filter(user=world.agent2).update(joined_at=T0 - timedelta(days=3))
    _calls(world, world.agent2, 2)

    _allocate(world)
    with scopes_disabled():
        first = sorted(AuditAssignment.objects.values_list("interaction_id", flat=True))
        reasons = dict(AuditAssignment.objects.values_list("interaction__external_id",
                                                           "reason"))
        AuditAssignment.objects.all().delete()
    _allocate(world)
    with scopes_disabled():
        again = sorted(AuditAssignment.objects.values_list("interaction_id", flat=True))

    assert first == again and len(first) == 7
    assert reasons["bob-0"] == reasons["bob-1"] == "Random sample, weighted: new agent"
    assert set(reasons.values()) <= {
        "Random sample", "Random sample, weighted: new agent",
        "Random sample, weighted: low automatic score (40)"}


def test_weighting_favours_low_automatic_scores(world):
    org = world.tenant.org
    card = make_scorecard(org)
    _set_quality(org, audits_per_agent_week=1)
    low_picked = 0
    for week in range(40):
        start = T0 + timedelta(days=7 * week)
        pair = _calls(world, world.agent, 2, prefix=f"w{week}", start=start)
        with scopes_disabled():
            for call, total in zip(pair, (0.0, 100.0), strict=True):
                Evaluation.objects.create(organization=org, interaction=call, agent=world.agent,
                                          scorecard=card, kind="auto", state="released",
                                          total=total, interaction_at=start)
        _allocate(world, week=start.date())
        with scopes_disabled():
            low_picked += AuditAssignment.objects.filter(interaction=pair[0]).count()
    # weights 3 : 1, so about 30 of 40; a fair coin would give 20.
    assert low_picked >= 25


def test_allocate_audits_command(world):
    _calls(world, world.agent, 2)
    out = StringIO()
    call_command("allocate_audits", "--org", "acme", "--week", "2026-11-04", stdout=out)
    assert out.getvalue().strip() == (
        "Week of 2026-11-02: 2 audits allocated; 1 of 1 agents covered; shortfall 0.")


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "nope"], "No organization with slug “nope”."),
    (["--org", "acme", "--week", "soon"], "--week must be a date YYYY-MM-DD; got “soon”."),
])
def test_allocate_audits_command_refuses_bad_arguments(world, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("allocate_audits", *args)
    assert str(refused.value) == message
    with scopes_disabled():
        assert AuditAssignment.objects.count() == 0


def test_interactions_with_a_transcript_are_preferred(world):
    turns = [("customer", "Hello"), ("agent", "Hi, how can I help?")]
    # Alice: 6 of 10 have a transcript, so all 5 audits go to those. Bob: 2 of 8, so both
    # of them and 3 without one.
    for i in range(10):
        make_interaction(world.tenant.org, agent=world.agent, external_id=f"a-{i}",
                         opened_at=T0 + timedelta(hours=i), turns=turns if i % 5 < 3 else ())
    for i in range(8):
        make_interaction(world.tenant.org, agent=world.agent2, external_id=f"b-{i}",
                         opened_at=T0 + timedelta(hours=i), turns=turns if i in (3, 6) else ())

    summary = _allocate(world)

    assert (summary.assigned, summary.shortfall) == (10, 0)
    with scopes_disabled():
        rows = list(AuditAssignment.objects.values_list(
            "agent__username", "interaction__external_id", "interaction__transcript__turn_count"))
    alice = {(e, n) for u, e, n in rows if u == "alice"}
    bob = [(e, n) for u, e, n in rows if u == "bob"]
    assert len(alice) == 5
    assert {n for _, n in alice} == {2}
    assert {e for e, _ in alice} <= {"a-0", "a-1", "a-2", "a-5", "a-6", "a-7"}
    assert sorted(n for _, n in bob if n is not None) == [2, 2]
    assert {e for e, n in bob if n is not None} == {"b-3", "b-6"}
    assert len(bob) == 5
