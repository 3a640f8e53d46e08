"""Demo coaching data: opportunities that fire on the demo work (with demo courses and
surveys), and assessments in every state — the completed ones with learning tasks and
surveys linked to them, some coach surveys answered (their score is the rating).
Idempotent: opportunities are matched by name, triggered assessments by their unique key,
and hand-made ones are only added once. Runs after the learning and surveys demo data."""

from datetime import timedelta

from django.utils import timezone

from learning.models import CourseItem
from learning.selectors import assignable_courses
from opportunities.models import CoachingOpportunity
from opportunities.services import OpportunityData, save_opportunity
from skills.models import Skill, SkillLevel
from surveys.demo import COACH_SURVEY, TRAINEE_SURVEY
from surveys.enums import QuestionKind
from surveys.models import SurveyResponse, SurveyTemplate
from surveys.services import submit_survey
from work.models import WorkEvent

from . import services
from .enums import Origin
from .models import AssessmentSurvey, CoachingAssessment

# name, description, condition, options, course titles, coach survey?, trainee survey?
# Each fires when the work changes into the situation (a change operator), not on every
# later change, and is suppressed for 14 days per agent: one assessment per item and
# opportunity, and no agent coached twice a fortnight on the same thing.
DEMO_OPPORTUNITIES = [
    ("Reassigned three times", "The work bounced between people or teams.",
     {"all": [{"field": "reassignment_count", "op": "gte", "value": 3},
              {"field": "reassignment_count", "op": "increased"}]},
     {"suppress_days": 14}, ["VPN troubleshooting checklist"], True, True),
    ("Escalated", "The customer or the agent escalated the work.",
     {"field": "escalated", "op": "changed_to", "value": True},
     {"due_in_days": 5, "suppress_days": 14}, ["De-escalation techniques"], True, True),
    ("Reopened", "The work came back after it was resolved.",
     {"field": "reopen_count", "op": "increased"},
     {"coach_choice": "round_robin", "suppress_days": 14}, [], True, False),
    ("SLA breached", "Resolved outside the service level; coached automatically.",
     {"all": [{"field": "sla_breached", "op": "eq", "value": True},
              {"field": "state", "op": "changed_to", "value": "resolved"}]},
     {"virtual_coach_name": "SLA coach", "suppress_days": 14}, ["Empathy on the phone"],
     False, True),
]
# The skill the virtual coach awards: one the SLA coaching is about.
VIRTUAL_COACH_SKILL = "Complaint handling"


def _template(organization, name: str) -> SurveyTemplate | None:
    return SurveyTemplate.objects.filter(organization=organization, name=name).first()


def _opportunities(organization) -> None:
    skill = Skill.objects.filter(organization=organization, active=True,
                                 name=VIRTUAL_COACH_SKILL).first()
    level = SkillLevel.objects.filter(organization=organization).order_by("rank").first()
    coach_survey = _template(organization, COACH_SURVEY)
    trainee_survey = _template(organization, TRAINEE_SURVEY)
    for name, description, condition, extra, titles, with_coach, with_trainee in \
            DEMO_OPPORTUNITIES:
        if CoachingOpportunity.objects.filter(organization=organization, name=name).exists():
            continue
        skills = [(skill, level)] if skill and level and "virtual_coach_name" in extra else []
        courses = list(CourseItem.objects.filter(organization=organization, title__in=titles,
                                                 active=True).order_by("title"))
        save_opportunity(organization=organization, data=OpportunityData(
            name=name, description=description, condition=condition, fires_on="any",
            skills=skills, courses=courses,
            coach_survey=coach_survey if with_coach else None,
            trainee_survey=trainee_survey if with_trainee else None, **extra,
        ))


def _demo_answers(response: SurveyResponse, index: int) -> dict[int, str]:
    """Plausible answers that vary with ``index`` (so the ratings differ)."""
    answers = {}
    for question in response.template.questions.prefetch_related("choices"):
        if question.kind == QuestionKind.RATING:
            answers[question.pk] = str(max(question.scale_min, question.scale_max - index % 3))
        elif question.kind == QuestionKind.YES_NO:
            answers[question.pk] = "yes" if index % 4 else "no"
        elif question.kind == QuestionKind.CHOICE:
            choices = list(question.choices.all())
            answers[question.pk] = str(choices[index % len(choices)].pk)
    return answers


def _prepare(organization, assessment, manager, index: int, coach_survey, trainee_survey):
    """Training and surveys for a hand-made demo assessment (before it moves on)."""
    course = assignable_courses(organization, manager).first()
    if course is not None and index % 2 == 0:
        services.set_assessment_courses(assessment=assessment, actor=manager, courses=[course])
    services.set_assessment_surveys(assessment=assessment, actor=manager,
                                    coach_survey=coach_survey, trainee_survey=trainee_survey)


def _fire_on_demo_work(organization) -> int:
    """Run the opportunities over the demo's latest work events, oldest first, then date
    each assessment by its work item (the demo's work is opened over months, its events
    all arrive today: dated by the item, the coaching trend tells a story instead of a
    spike today)."""
    events = list(
        WorkEvent.objects.filter(organization=organization)
        .select_related("work_item").order_by("-occurred_at", "-id")[:400]
    )
    now = timezone.now()
    opened = {}
    for event in reversed(events):
        for assessment in services.open_assessments_for_event(event=event):
            item = event.work_item
            when = item.opened_at + timedelta(hours=2) if item.opened_at else None
            opened.setdefault(assessment.pk, when if when and when < now else None)
    # Dated once every event ran: the suppression window counts back from today.
    for pk, when in opened.items():
        if when is not None:
            CoachingAssessment.objects.filter(pk=pk).update(created_at=when)
    return len(opened)


def _every_state(organization, people) -> None:
    if CoachingAssessment.objects.filter(organization=organization,
                                         origin=Origin.MANUAL).exists():
        return
    teams = [t for t in people.teams if t.manager_id]
    coach_survey = _template(organization, COACH_SURVEY)
    trainee_survey = _template(organization, TRAINEE_SURVEY)
    plans = [
        ("start",), ("start", "resolve"), ("start", "resolve", "complete"), ("cancel",), (),
        ("start", "resolve", "complete"),
    ]
    for index, plan in enumerate(plans * 2):
        team = teams[index % len(teams)]
        members = list(team.members.order_by("username"))
        if not members:
            continue
        trainee = members[index % len(members)]
        assessment = services.open_manual_assessment(
            organization=organization, actor=team.manager, trainee=trainee,
            due_in_days=3 + index, comments="Walked through the call together.",
        )
        _prepare(organization, assessment, team.manager, index, coach_survey, trainee_survey)
        if "complete" in plan:
            services.update_assessment(assessment=assessment, actor=team.manager,
                                       rating=60 + (index * 7) % 40, comments="Good progress.",
                                       follow_up=index % 3 == 0)
        for step in plan:
            if step == "cancel":
                services.cancel_assessment(assessment=assessment, actor=team.manager,
                                           reason="The agent moved to another team.")
            else:
                getattr(services, f"{step}_assessment")(assessment=assessment,
                                                          actor=team.manager)
        if "complete" in plan and index % 4 != 1:
            # The coach answers their survey; its score becomes the rating.
            link = AssessmentSurvey.objects.filter(
                assessment=assessment, response__respondent=team.manager,
                response__state="pending",
            ).select_related("response__template").first()
            response = link.response if link is not None else None
            if response is not None:
                submit_survey(response=response, respondent=team.manager,
                              answers=_demo_answers(response, index))
    # One overdue assessment the beat task will close.
    overdue = CoachingAssessment.objects.filter(organization=organization,
                                                state="open").first()
    if overdue is not None:
        CoachingAssessment.objects.filter(pk=overdue.pk).update(
            due_date=timezone.localdate() - timedelta(days=2))
        services.expire_overdue_assessments(organization=organization)


def seed_coaching(organization, people, stdout) -> None:
    _opportunities(organization)
    opened = _fire_on_demo_work(organization)
    if people.teams:
        _every_state(organization, people)
    if stdout is not None:
        stdout.write(f"  coaching: {opened} assessments from opportunities in "
                     f"{organization.slug}\n")


# --- coaching from quality: marks, groups, coaching assignments (issue 15) -------------


def seed_quality_coaching(organization, people, stdout) -> None:
    """Marks, two groups (one with conversations, one empty), a dispatched group and
    individual assignments in every status, built from the quality demo's audits. Skips
    quietly when there are no audits (the quality demo did not run) or it ran before."""
    from datetime import timedelta

    from quality.enums import EvaluationKind
    from quality.models import Evaluation

    from .models import (
        AssignmentStatus,
        CoachingAssignment,
        CoachingGroup,
        CoachingMark,
    )
    from .services.assignments import (
        MarkedInteraction,
        create_assignment,
        dispatch_group,
        review_item,
    )
    from .services.marks import (
        CoachingError,
        add_agents_to_group,
        create_group,
        mark_for_coaching,
    )

    qa = people.qa_analyst or people.org_admin
    if qa is None or CoachingMark.objects.filter(organization=organization).exists():
        return
    audits = list(Evaluation.objects.filter(
        organization=organization, kind=EvaluationKind.MANUAL, agent__isnull=False,
        submitted_at__isnull=False).select_related("scorecard", "agent", "interaction")
        .prefetch_related("scorecard__attributes").order_by("id"))
    one_per_agent = list({e.agent_id: e for e in reversed(audits)}.values())
    by_agent: dict[int, list] = {}
    for evaluation in audits:
        by_agent.setdefault(evaluation.agent_id, []).append(evaluation)
    if len(one_per_agent) < 6:
        return
    follow_up = timezone.localdate() + timedelta(days=14)
    try:
        marked = []
        for evaluation in one_per_agent[:6]:
            keys = [a.key for a in evaluation.scorecard.attributes.all()][:2]
            mark_for_coaching(evaluation=evaluation, area_keys=keys, marked_by=qa)
            marked.append(evaluation)
        sent = create_group(organization=organization, name="Empathy refresher",
                            description="Agents whose audits asked for more empathy.",
                            created_by=qa)
        add_agents_to_group(group=sent, agents=[e.agent for e in marked[:2]], actor=qa)
        dispatch_group(group_id=sent.pk, actor=qa, follow_up_date=follow_up, name="Empathy",
                       strengths="Friendly openings.", improvements="Acknowledge the problem.",
                       action_plan=["Listen back the marked calls", "Use the examples"])
        waiting = create_group(organization=organization, name="Closing skills",
                               description="Agents to coach on closing.", created_by=qa)
        add_agents_to_group(group=waiting, agents=[marked[2].agent], actor=qa)
        create_group(organization=organization, name="New joiners (empty)", created_by=qa)
        # Individual assignments in every status, each with up to two of the agent's
        # audited interactions (in progress: the first reviewed, the rest not).
        for status, evaluation in zip(
                [AssignmentStatus.NOT_STARTED, AssignmentStatus.IN_PROGRESS,
                 AssignmentStatus.COMPLETED], one_per_agent[6:9], strict=False):
            area = evaluation.scorecard.attributes.order_by("position", "id").first()
            assignment = create_assignment(
                organization=organization, agent=evaluation.agent, assigner=qa,
                name=f"Coaching: {evaluation.agent}", areas=[(area.key, area.name)],
                interactions=[MarkedInteraction(e.interaction, e, area.name)
                              for e in by_agent[evaluation.agent_id][:2]],
                follow_up_date=follow_up, strengths="Clear explanations.",
                improvements="Confirm the customer's need.", action_plan=["Review the call"])
            if status == AssignmentStatus.NOT_STARTED:
                continue
            links = [("interaction", link) for link in assignment.interaction_links.all()] + [
                ("example", link) for link in assignment.example_links.all()]
            if status == AssignmentStatus.IN_PROGRESS:
                links = links[:1] if len(links) > 1 else []
            for kind, link in links:
                review_item(assignment_id=assignment.pk, kind=kind, link_id=link.pk,
                            agent=evaluation.agent)
        _assignment_under_dispute(organization, qa, follow_up)
    except CoachingError as error:  # demo data that does not fit: say so, keep the rest
        if stdout is not None:
            stdout.write(f"  coaching assignments: skipped ({error.message})\n")
        return
    if stdout is not None:
        count = CoachingAssignment.objects.filter(organization=organization).count()
        groups = CoachingGroup.objects.filter(organization=organization).count()
        stdout.write(f"  coaching assignments: {count} assignments, {groups} groups in "
                     f"{organization.slug}\n")


def _assignment_under_dispute(organization, qa, follow_up) -> None:
    """An assignment linked to the demo's audit whose dispute waits for the reviewer (the
    quality demo's agents' reviews), so its status shows the review under way."""
    from quality.enums import ReviewState
    from quality.models import DisputeItem, Evaluation

    from .services.assignments import create_assignment_from_evaluation

    disputed = (Evaluation.objects.filter(organization=organization,
                                          review_state=ReviewState.PENDING_SUPERVISOR)
                .select_related("organization", "agent", "interaction", "scorecard")
                .order_by("id").first())
    if disputed is None:
        return
    item = (DisputeItem.objects.filter(dispute__evaluation=disputed)
            .select_related("attribute").order_by("id").first())
    create_assignment_from_evaluation(
        evaluation=disputed, assigner=qa, name=f"Coaching: {disputed.agent}",
        area_keys=[item.attribute.key], follow_up_date=follow_up,
        strengths="Calm with upset customers.",
        improvements=f"{item.attribute.name}: see the audit (its dispute is with QA).",
        action_plan=["Listen back the audited contact"])
