"""One open coaching item of every kind in tenant ``acme`` (the coaching-from-quality world:
ada admin, quinn QA, carl coaches Care = alice + bob, cleo coaches Billing = dora; olga is in
``globex``), built through the services; only the clock of each item (when it started) is
moved with an UPDATE, as time passing would."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from coaching.models import CoachingAssessment, CoachingAssignment, CoachingPlan
from coaching.services import open_manual_assessment
from coaching.services.assignments import MarkedInteraction, create_assignment
from coaching.services.plans import create_plan, send_plan
from quality.models import Dispute
from quality.services.disputes import DisputedAttribute, raise_dispute
from skills.models import SkillRecommendation, SkillReview
from skills.services import ensure_level_scale, save_skill
from skills.services.reviews import request_skill_review
from tests.quality.conftest import released_audit, turn_disputes_on

HOUR = timedelta(hours=1)


@dataclass
class BacklogItems:
    assessment: CoachingAssessment  # alice, coach carl, 10 days old (SLA 120 h: overdue)
    unassigned: CoachingAssessment  # dora, no coach, 2 hours old
    assignment: CoachingAssignment  # bob, assigner carl, 1 day old, follow-up in 7 days
    plan: CoachingPlan  # alice, manager carl, sent 20 days ago (SLA 336 h: overdue)
    dispute: Dispute  # alice's audit, reviewer quinn, raised 1 hour ago, due in 47 hours
    review: SkillReview  # bob asks a skill, 100 hours ago (SLA 72 h: overdue)
    recommendation: SkillRecommendation  # dora, 3 hours ago


def _age(model, obj, field, hours):
    model.objects.filter(pk=obj.pk).update(**{field: timezone.now() - hours * HOUR})
    obj.refresh_from_db()


def assessment_for(aw, trainee, *, actor=None, hours=0, coach="keep"):
    org = aw.tenant.org
    with aw.tenant.scope():
        assessment = open_manual_assessment(organization=org, actor=actor or aw.admin,
                                            trainee=trainee, due_in_days=30)
        if coach != "keep":
            CoachingAssessment.objects.filter(pk=assessment.pk).update(coach=coach)
        _age(CoachingAssessment, assessment, "created_at", hours)
    return assessment


def make_backlog(aw) -> BacklogItems:
    org = aw.tenant.org
    turn_disputes_on(org)
    assessment = assessment_for(aw, aw.agent, actor=aw.coach, hours=240)
    # Opened unassigned, as the trigger pipeline does when the agent has no coach.
    unassigned = assessment_for(aw, aw.agent3, hours=2, coach=None)
    audited = aw.audit(aw.agent2)
    with aw.tenant.scope():
        assignment = create_assignment(
            organization=org, agent=aw.agent2, assigner=aw.coach, name="Empathy basics",
            areas=[("empathy", "Empathy")],
            interactions=[MarkedInteraction(audited.interaction, audited, "Empathy")],
            follow_up_date=timezone.localdate() + timedelta(days=7))
        _age(CoachingAssignment, assignment, "created_at", 24)
        plan = create_plan(organization=org, manager=aw.coach, agent=aw.agent,
                           attribute_key="empathy", advice="Name the worry first.",
                           target_percent=80,
                           target_date=timezone.localdate() + timedelta(days=7))
        plan = send_plan(plan=plan, actor=aw.coach)
        _age(CoachingPlan, plan, "sent_at", 480)
    evaluation = released_audit(aw, agent=aw.agent, external_id="CHAT-BL1")
    with aw.tenant.scope():
        dispute = raise_dispute(evaluation=evaluation, agent=aw.agent, items=[
            DisputedAttribute("empathy", "I apologised.", "yes")])
        Dispute.objects.filter(pk=dispute.pk).update(
            raised_at=timezone.now() - HOUR, due_at=timezone.now() + 47 * HOUR)
        dispute.refresh_from_db()
        levels = ensure_level_scale(organization=org)
        skill = save_skill(organization=org, name="Billing disputes")
        review = request_skill_review(user=aw.agent2, skill=skill, level=levels[1],
                                      justification="I handle them daily.",
                                      requested_by=aw.agent2)
        _age(SkillReview, review, "created_at", 100)
        # The recommender writes these in a nightly batch; one row stands for its output.
        recommendation = SkillRecommendation.objects.create(
            organization=org, user=aw.agent3, skill=skill, count=5, threshold=5, score=0.8)
        _age(SkillRecommendation, recommendation, "created_at", 3)
    return BacklogItems(assessment=assessment, unassigned=unassigned, assignment=assignment,
                        plan=plan, dispute=dispute, review=review,
                        recommendation=recommendation)
