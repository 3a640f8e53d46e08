"""Demo coaching data: opportunities that fire on the demo work, and assessments in every
state. Idempotent: opportunities are matched by name, triggered assessments by their
unique key, and hand-made ones are only added once."""

from datetime import timedelta

from django.utils import timezone

from opportunities.models import CoachingOpportunity
from opportunities.services import OpportunityData, save_opportunity
from skills.models import Skill, SkillLevel
from work.models import WorkEvent

from . import services
from .enums import Origin
from .models import CoachingAssessment

DEMO_OPPORTUNITIES = [
    ("Reassigned three times", "The work bounced between people or teams.",
     {"field": "reassignment_count", "op": "gte", "value": 3}, {"suppress_days": 14}),
    ("Escalated", "The customer or the agent escalated the work.",
     {"field": "escalated", "op": "eq", "value": True}, {"due_in_days": 5}),
    ("Reopened", "The work came back after it was resolved.",
     {"field": "reopen_count", "op": "gte", "value": 1}, {"coach_choice": "round_robin"}),
    ("SLA breached", "Resolved outside the service level; coached automatically.",
     {"field": "sla_breached", "op": "eq", "value": True},
     {"virtual_coach_name": "SLA coach", "courses": ["Working to service levels"]}),
]


def _opportunities(organization) -> None:
    skill = Skill.objects.filter(organization=organization, active=True).order_by("name").first()
    level = SkillLevel.objects.filter(organization=organization).order_by("rank").first()
    for name, description, condition, extra in DEMO_OPPORTUNITIES:
        if CoachingOpportunity.objects.filter(organization=organization, name=name).exists():
            continue
        skills = [(skill, level)] if skill and level and "virtual_coach_name" in extra else []
        save_opportunity(organization=organization, data=OpportunityData(
            name=name, description=description, condition=condition, fires_on="any",
            skills=skills, **extra,
        ))


def _fire_on_demo_work(organization) -> int:
    events = (
        WorkEvent.objects.filter(organization=organization)
        .select_related("work_item").order_by("-occurred_at", "-id")[:400]
    )
    opened = 0
    for event in events:
        opened += len(services.open_assessments_for_event(event=event))
    return opened


def _every_state(organization, people) -> None:
    if CoachingAssessment.objects.filter(organization=organization,
                                         origin=Origin.MANUAL).exists():
        return
    teams = [t for t in people.teams if t.manager_id]
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
