"""Coaching plan services (issue 18): create (bad input refused, nothing written), send
(e-mail with the absolute direct link), the agent opening it, notes until the target date,
delete (recorded), advice feedback, and the beat task deciding plans at the target date
from scores made through the quality services (the clock moved by patching Django's
``timezone.now``, which is outside our code)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching import tasks
from coaching.models import AdviceFeedback, CoachingPlan, PlanExample, PlanNote
from coaching.services.plans import (
    PlanError,
    add_note,
    create_plan,
    delete_plan,
    evaluate_due_plans,
    open_plan,
    record_advice_feedback,
    send_plan,
)
from quality.enums import EvaluationKind
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tests.quality.conftest import make_interaction

from .assignment_fixtures import ALL_YES, aw_fixture  # noqa: F401

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
TODAY = NOON.date()


class Clock:
    def __init__(self, monkeypatch):
        self.now = NOON
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move_to(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def world(aw, clock):
    with scopes_disabled():
        org = aw.tenant.org
        org.settings = {**(org.settings or {}), "quality": {"min_reviews": 3}}
        org.save(update_fields=["settings"])
    return aw


_n = iter(range(1, 10_000))


def audit(world, agent, empathy: str, *, at: datetime):
    """A submitted audit (through the quality services) of a new interaction at ``at``."""
    org = world.tenant.org
    item = make_interaction(org, agent=agent, external_id=f"PL-{next(_n)}", opened_at=at,
                            turns=[("agent", "Hello."), ("customer", "My bill is wrong.")])
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=world.card,
                                     kind=EvaluationKind.MANUAL, evaluator=world.qa)
        save_answers(evaluation=evaluation, actor=world.qa, require_complete=True,
                     answers=[AnswerInput(k, v) for k, v in
                              {**ALL_YES, "empathy": empathy}.items()])
        evaluation.submit()
        start_counting(evaluation, actor=world.qa, action="submitted")
    return evaluation


def plan_for(world, agent, *, manager=None, target=80, days=7, examples=()):
    with world.tenant.scope():
        return create_plan(organization=world.tenant.org, manager=manager or world.coach,
                           agent=agent, attribute_key="empathy",
                           advice="Name the customer's worry before solving it.",
                           target_percent=target, target_date=TODAY + timedelta(days=days),
                           example_ids=examples, advice_variant="embedded:steps")


def sent(world, agent, **kwargs):
    plan = plan_for(world, agent, **kwargs)
    with world.tenant.scope():
        return send_plan(plan=plan, actor=kwargs.get("manager") or world.coach)


def test_create_plan_is_a_draft_with_its_examples(world):
    weak = audit(world, world.agent, "no", at=NOON - timedelta(hours=2))
    best = world.best_response(world.agent2)
    plan = plan_for(world, world.agent, examples=[weak.interaction_id, best.interaction_id])
    with scopes_disabled():
        plan.refresh_from_db()
        examples = sorted(PlanExample.objects.filter(plan=plan)
                          .values_list("interaction_id", "kind"))
    assert (plan.status, plan.attribute_key, plan.attribute_name, plan.target_percent,
            plan.target_date, plan.start_date, plan.sent_at, plan.manager_id,
            plan.advice_variant) == (
        "draft", "empathy", "Empathy", 80, TODAY + timedelta(days=7), None, None,
        world.coach.pk, "embedded:steps")
    assert examples == sorted([(weak.interaction_id, "weak"), (best.interaction_id, "best")])
    assert mail.outbox == []


@pytest.mark.parametrize(("target", "days", "field", "message"), [
    (101, 7, "target_percent", "The target goal is a whole percentage from 0 to 100."),
    (-1, 7, "target_percent", "The target goal is a whole percentage from 0 to 100."),
    (80, -1, "target_date", "The target date (01 Mar 2026) is in the past; choose today "
                            "(02 Mar 2026) or a later day."),
])
def test_create_plan_refuses_bad_targets_and_writes_nothing(world, target, days, field,
                                                            message):
    with pytest.raises(PlanError) as caught:
        plan_for(world, world.agent, target=target, days=days)
    assert (caught.value.field, caught.value.message) == (field, message)
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0


def test_create_plan_refuses_an_agent_the_manager_may_not_coach(world):
    with pytest.raises(PlanError) as caught:
        plan_for(world, world.agent3)  # dora is in cleo's team, not carl's
    assert caught.value.message == "You may not coach Dora: they are not in a team you coach."
    with pytest.raises(PlanError) as outsider:
        plan_for(world, world.outsider, manager=world.admin)
    assert outsider.value.message == "This agent is not a member of your organization."
    with pytest.raises(PlanError) as qa:
        plan_for(world, world.agent, manager=world.qa)
    assert qa.value.message == "You may not coach Alice: they are not in a team you coach."
    plan_for(world, world.agent3, manager=world.admin)  # the org admin plans for anyone
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 1


def test_create_plan_refuses_an_interaction_of_someone_else(world):
    other = audit(world, world.agent2, "no", at=NOON - timedelta(hours=1))
    with pytest.raises(PlanError) as caught:
        plan_for(world, world.agent, examples=[other.interaction_id])
    assert caught.value.message == (f"{other.interaction.label} is neither Alice's interaction "
                                    "nor a best response for this behaviour.")
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0


def test_send_plan_shares_it_and_mails_the_direct_link(world, django_capture_on_commit_callbacks):
    plan = plan_for(world, world.agent)
    with django_capture_on_commit_callbacks(execute=True), world.tenant.scope():
        plan = send_plan(plan=plan, actor=world.coach)
    assert (plan.status, plan.start_date, plan.sent_at) == ("shared", TODAY, NOON)
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert message.subject == "Coaching plan: Empathy"
    link = f"{settings.SITE_URL}/o/acme/coaching/plans/{plan.pk}/"
    assert link.startswith("http")
    assert link in message.body
    assert "Target: 80 % by 9 March 2026" in message.body
    assert "Name the customer's worry before solving it." in message.body
    with pytest.raises(PlanError) as again, world.tenant.scope():
        send_plan(plan=plan, actor=world.coach)
    assert again.value.message == "This plan was already sent (it is Shared)."


def test_open_plan_moves_to_working_only_for_the_agent(world):
    plan = sent(world, world.agent)
    with world.tenant.scope():
        assert open_plan(plan=plan, user=world.coach).status == "shared"
        opened = open_plan(plan=plan, user=world.agent)
        again = open_plan(plan=opened, user=world.agent)
    assert (opened.status, opened.opened_at, again.status) == ("working", NOON, "working")


def test_notes_until_the_target_date_then_refused(world, clock):
    plan = sent(world, world.agent, days=3)
    with world.tenant.scope():
        note = add_note(plan=plan, author=world.coach, text="  Met on Monday; agreed steps. ")
    assert (note.text, note.author_id) == ("Met on Monday; agreed steps.", world.coach.pk)
    clock.move_to(NOON + timedelta(days=3))  # the target date itself: still allowed
    with world.tenant.scope():
        add_note(plan=plan, author=world.coach, text="Last check.")
    clock.move_to(NOON + timedelta(days=4))
    with pytest.raises(PlanError) as caught, world.tenant.scope():
        add_note(plan=plan, author=world.coach, text="Too late.")
    assert caught.value.message == ("The coaching period ended on 05 Mar 2026; notes can no "
                                    "longer be added.")
    with scopes_disabled():
        assert list(PlanNote.objects.values_list("text", flat=True)) == [
            "Met on Monday; agreed steps.", "Last check."]


def test_notes_refused_on_a_draft_and_for_another_coach(world):
    draft = plan_for(world, world.agent)
    with pytest.raises(PlanError) as caught, world.tenant.scope():
        add_note(plan=draft, author=world.coach, text="Hello")
    assert caught.value.message == "Send the plan before adding meeting notes."
    with pytest.raises(PlanError) as other, world.tenant.scope():
        add_note(plan=draft, author=world.coach2, text="Hello")
    assert other.value.message == "You may not coach Alice: they are not in a team you coach."


def test_delete_plan_is_recorded_and_leaves_the_beat_task(world, clock):
    plan = sent(world, world.agent, days=1)
    with world.tenant.scope():
        deleted = delete_plan(plan=plan, actor=world.coach)
    assert (deleted.deleted_at, deleted.deleted_by_id) == (NOON, world.coach.pk)
    with pytest.raises(PlanError) as again, world.tenant.scope():
        delete_plan(plan=plan, actor=world.coach)
    assert again.value.message == "This coaching plan was deleted."
    with world.tenant.scope():
        assert evaluate_due_plans(organization=world.tenant.org,
                                  today=TODAY + timedelta(days=5)) == 0


def test_beat_task_with_a_moved_clock_decides_improvement_and_action_required(world, clock):
    # Before the plans: a failing audit of alice that must not count.
    audit(world, world.agent, "no", at=NOON - timedelta(days=2))
    improved = sent(world, world.agent2)  # bob
    missed = sent(world, world.agent)  # alice
    thin = sent(world, world.agent3, manager=world.admin)  # dora
    with world.tenant.scope():
        open_plan(plan=missed, user=world.agent)
    for day, (bob, alice) in enumerate([("yes", "yes"), ("yes", "no"), ("yes", "yes"),
                                        ("yes", "yes")]):
        at = NOON + timedelta(days=day, hours=1)
        audit(world, world.agent2, bob, at=at)
        audit(world, world.agent, alice, at=at)
    audit(world, world.agent3, "yes", at=NOON + timedelta(hours=2))
    audit(world, world.agent3, "yes", at=NOON + timedelta(hours=3))
    # After the target date (9 March): not in the period.
    audit(world, world.agent, "yes", at=NOON + timedelta(days=8))

    clock.move_to(NOON + timedelta(days=7))  # the target date: not due yet
    org_id = world.tenant.org.pk
    assert tasks.evaluate_due_plans_for(organization_id=org_id) == 0
    with scopes_disabled():
        assert set(CoachingPlan.objects.values_list("status", flat=True)) == {
            "shared", "working"}

    clock.move_to(datetime(2026, 3, 10, 1, 0, tzinfo=UTC))
    assert tasks.evaluate_due_plans_for(organization_id=org_id) == 3
    with scopes_disabled():
        rows = {p.agent_id: (p.status, p.outcome_score, p.outcome_n, p.outcome_note)
                for p in CoachingPlan.objects.all()}
    assert rows == {
        world.agent2.pk: ("improvement", 100.0, 4, "reached the target: 100 % ≥ 80 %"),
        world.agent.pk: ("action_required", 75.0, 4, "missed the target: 75 % < 80 %"),
        world.agent3.pk: ("action_required", 100.0, 2, "too little data: 2 of 3 reviews"),
    }
    with scopes_disabled():
        assert [CoachingPlan.objects.get(pk=p.pk).get_status_display()
                for p in (improved, missed, thin)] == [
            "Improvement", "Action required", "Action required"]
    # Safe to run twice: nothing is decided again.
    with world.tenant.scope():
        assert evaluate_due_plans(organization=world.tenant.org) == 0


def test_record_advice_feedback_replaces_the_users_vote(world):
    with world.tenant.scope():
        record_advice_feedback(organization=world.tenant.org, user=world.coach,
                               attribute_key="empathy", variant_key="embedded:steps", vote=1)
        record_advice_feedback(organization=world.tenant.org, user=world.coach,
                               attribute_key="empathy", variant_key="embedded:steps", vote=-1)
        with pytest.raises(PlanError) as caught:
            record_advice_feedback(organization=world.tenant.org, user=world.coach,
                                   attribute_key="empathy", variant_key="x", vote=0)
    assert caught.value.message == "Give a thumbs up or a thumbs down."
    with scopes_disabled():
        assert list(AdviceFeedback.objects.values_list("variant_key", "vote")) == [
            ("embedded:steps", -1)]


def test_the_beat_entry_runs_the_plan_task_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["coaching-evaluate-due-plans"]
    assert (entry["task"], entry["schedule"]) == ("coaching.evaluate_due_plans", 3600.0)
    assert (tasks.evaluate_due_plans.name, tasks.evaluate_due_plans_for.name) == (
        "coaching.evaluate_due_plans", "coaching.evaluate_due_plans_for")
