"""Every write to opportunities, their virtual coaches and match log.

Saving or deleting an opportunity forgets the tenant's cached active opportunities (at
once and again after commit, so a reader that refilled the cache from the old rows in
between is corrected).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from learning.models import CourseItem
from skills.models import Skill, SkillLevel
from surveys.enums import Audience
from surveys.models import SurveyTemplate
from tenancy.errors import DomainError, same_tenant
from tenancy.models import Membership, Organization, User
from work.enums import WorkKind

from . import conditions
from .enums import CoachChoice, FiresOn, MatchOutcome
from .fields import work_item_fields
from .models import (
    CoachingOpportunity,
    OpportunityCourse,
    OpportunityMatch,
    OpportunitySkill,
    VirtualCoach,
)
from .selectors import forget_active_opportunities

MATCH_LOG_KEEP = 200


class OpportunityError(DomainError):
    """An opportunity cannot be saved as given; ``message`` says why, for a person."""


@dataclass
class OpportunityData:
    """The editable content of an opportunity, already parsed (forms and import build it)."""

    name: str
    condition: Any
    description: str = ""
    active: bool = True
    kinds: Sequence[str] = ()
    fires_on: str = FiresOn.UPDATE
    coach_choice: str = CoachChoice.TEAM_MANAGER
    named_coach: User | None = None
    due_in_days: int = 7
    suppress_days: int = 0
    sample_rate: int = 100
    exempt_first_days: int = 0
    skills: Sequence[tuple[Skill, SkillLevel]] = ()
    courses: Sequence[CourseItem] = ()
    coach_survey: SurveyTemplate | None = None
    trainee_survey: SurveyTemplate | None = None
    virtual_coach_name: str = ""


def _forget_cache(organization: Organization) -> None:
    forget_active_opportunities(organization.pk)
    transaction.on_commit(lambda: forget_active_opportunities(organization.pk))


def _check(organization: Organization, data: OpportunityData,
           opportunity: CoachingOpportunity | None) -> None:
    name = (data.name or "").strip()
    if not name:
        raise OpportunityError("Give the opportunity a name.", field="name")
    if len(name) > 150:
        raise OpportunityError("A name has at most 150 characters.", field="name")
    taken = CoachingOpportunity.objects.filter(organization=organization).annotate(
        lname=Lower("name")
    ).filter(lname=name.lower())
    if opportunity is not None:
        taken = taken.exclude(pk=opportunity.pk)
    if taken.exists():
        raise OpportunityError(f"An opportunity named “{name}” already exists.", field="name")
    try:
        conditions.validate(data.condition, work_item_fields())
    except conditions.ConditionError as error:
        raise OpportunityError(str(error), field="condition") from None
    unknown = [k for k in data.kinds if k not in WorkKind.values]
    if unknown:
        raise OpportunityError(
            f"Unknown work-item kind “{unknown[0]}”; use: {', '.join(WorkKind.values)}.",
            field="kinds",
        )
    if data.fires_on not in FiresOn.values:
        raise OpportunityError(
            f"“{data.fires_on}” is not when an opportunity fires; use: "
            f"{', '.join(FiresOn.values)}.", field="fires_on",
        )
    if data.coach_choice not in CoachChoice.values:
        raise OpportunityError("Choose how the coach is assigned.", field="coach_choice")
    if data.coach_choice == CoachChoice.NAMED:
        coach = data.named_coach
        membership = (
            Membership.objects.filter(organization=organization, user=coach).first()
            if coach is not None else None
        )
        if membership is None or not membership.is_coach:
            raise OpportunityError(
                "The named coach must be a member of this organization with the coach role.",
                field="named_coach",
            )
    for label, value, low, high in (
        ("Due in (days)", data.due_in_days, 1, 365),
        ("The suppression window", data.suppress_days, 0, 365),
        ("The sample rate", data.sample_rate, 0, 100),
        ("The exemption for new agents", data.exempt_first_days, 0, 365),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise OpportunityError(f"{label} must be a whole number from {low} to {high}.")
    seen = set()
    for skill, level in data.skills:
        same_tenant(organization, skill, level, error=partial(OpportunityError, field="skills"),
                    message="Skills and levels must belong to this organization.")
        if skill.pk in seen:
            raise OpportunityError(f"The skill “{skill.name}” is listed twice.", field="skills")
        seen.add(skill.pk)
    for course in data.courses:
        if not isinstance(course, CourseItem) or course.organization_id != organization.pk:
            raise OpportunityError("Courses must be course items of this organization.",
                                   field="courses")
    check_survey_choice(organization, data.coach_survey, Audience.COACH_ABOUT_TRAINEE,
                        field="coach_survey")
    check_survey_choice(organization, data.trainee_survey, Audience.TRAINEE_ABOUT_COACH,
                        field="trainee_survey")
    if len(data.virtual_coach_name or "") > 150:
        raise OpportunityError("A virtual coach's name has at most 150 characters.",
                               field="virtual_coach_name")


SURVEY_ROLE = {
    Audience.COACH_ABOUT_TRAINEE: "coach survey",
    Audience.TRAINEE_ABOUT_COACH: "agent survey",
}


def check_survey_choice(organization: Organization, template: SurveyTemplate | None,
                        audience: str, *, field: str) -> None:
    """A survey chosen as the coach (or agent) survey: of this tenant, the right audience."""
    if template is None:
        return
    if not isinstance(template, SurveyTemplate) or template.organization_id != organization.pk:
        raise OpportunityError("Surveys must be survey templates of this organization.",
                               field=field)
    if template.audience != audience:
        raise OpportunityError(
            f"“{template.name}” is a {template.get_audience_display().lower()} survey; "
            f"the {SURVEY_ROLE[audience]} must be {Audience(audience).label.lower()}.",
            field=field,
        )


@transaction.atomic
def save_opportunity(
    *,
    organization: Organization,
    data: OpportunityData,
    opportunity: CoachingOpportunity | None = None,
) -> CoachingOpportunity:
    """Create (``opportunity`` None) or update an opportunity with its skills, courses,
    surveys and virtual coach. Validates everything first (raises
    :class:`OpportunityError`, nothing written).

    Side effects: forgets the tenant's cached active opportunities.
    """
    same_tenant(organization, opportunity, error=OpportunityError,
                message="This opportunity belongs to another organization.")
    _check(organization, data, opportunity)
    now = timezone.now()
    if opportunity is None:
        opportunity = CoachingOpportunity(organization=organization, created_at=now)
    opportunity.name = data.name.strip()
    opportunity.description = data.description or ""
    opportunity.active = bool(data.active)
    opportunity.kinds = sorted(set(data.kinds))
    opportunity.fires_on = data.fires_on
    opportunity.condition = data.condition
    opportunity.coach_choice = data.coach_choice
    opportunity.named_coach = data.named_coach if data.coach_choice == CoachChoice.NAMED else None
    opportunity.due_in_days = data.due_in_days
    opportunity.suppress_days = data.suppress_days
    opportunity.sample_rate = data.sample_rate
    opportunity.exempt_first_days = data.exempt_first_days
    opportunity.coach_survey = data.coach_survey
    opportunity.trainee_survey = data.trainee_survey
    opportunity.updated_at = now
    opportunity.save()

    wanted_courses = {course.pk: course for course in data.courses}
    OpportunityCourse.objects.filter(opportunity=opportunity).exclude(
        course_id__in=list(wanted_courses)).delete()
    linked = set(OpportunityCourse.objects.filter(opportunity=opportunity)
                 .values_list("course_id", flat=True))
    OpportunityCourse.objects.bulk_create([
        OpportunityCourse(organization=organization, opportunity=opportunity, course=course)
        for course_id, course in wanted_courses.items() if course_id not in linked
    ])

    wanted = {skill.pk: level for skill, level in data.skills}
    current = {s.skill_id: s for s in OpportunitySkill.objects.filter(opportunity=opportunity)}
    for skill_id, row in current.items():
        if skill_id not in wanted:
            row.delete()
        elif row.level_id != wanted[skill_id].pk:
            row.level = wanted[skill_id]
            row.save(update_fields=["level"])
    for skill, level in data.skills:
        if skill.pk not in current:
            OpportunitySkill.objects.create(
                organization=organization, opportunity=opportunity, skill=skill, level=level
            )

    virtual_name = (data.virtual_coach_name or "").strip()
    virtual = VirtualCoach.objects.filter(opportunity=opportunity).first()
    if virtual_name and virtual is None:
        VirtualCoach.objects.create(organization=organization, opportunity=opportunity,
                                    name=virtual_name)
    elif virtual_name and virtual.name != virtual_name:
        virtual.name = virtual_name
        virtual.save(update_fields=["name"])
    elif not virtual_name and virtual is not None:
        virtual.delete()
    _forget_cache(organization)
    return opportunity


@transaction.atomic
def delete_opportunity(*, opportunity: CoachingOpportunity) -> None:
    """Delete an opportunity; its assessments stay (they lose the link). Forgets the cache."""
    organization = opportunity.organization
    opportunity.delete()
    _forget_cache(organization)


def record_match(
    *,
    organization_id: int,
    opportunity_id: int,
    work_item_id: int,
    event_id: int | None,
    agent_id: int | None,
    outcome: str,
) -> OpportunityMatch:
    """Add a line to an opportunity's match log (pruned by :func:`prune_match_log`). What
    a match opened is recorded by the app that opened it (coaching)."""
    return OpportunityMatch.objects.create(
        organization_id=organization_id, opportunity_id=opportunity_id,
        work_item_id=work_item_id, event_id=event_id, agent_id=agent_id,
        outcome=MatchOutcome(outcome),
    )


def prune_match_log(*, organization: Organization, keep: int = MATCH_LOG_KEEP,
                    older_than_days: int = 90) -> int:
    """Drop log lines beyond the newest ``keep`` per opportunity and any older than
    ``older_than_days``. Returns how many were deleted."""
    deleted = 0
    cutoff = timezone.now() - timedelta(days=older_than_days)
    matches = OpportunityMatch.objects.filter(organization=organization)
    deleted += matches.filter(matched_at__lt=cutoff).delete()[0]
    for opportunity_id in CoachingOpportunity.objects.filter(
        organization=organization
    ).values_list("pk", flat=True):
        newest = list(
            matches.filter(opportunity_id=opportunity_id)
            .order_by("-matched_at", "-id").values_list("pk", flat=True)[keep:keep + 1]
        )
        if newest:
            deleted += matches.filter(opportunity_id=opportunity_id, pk__lte=newest[0]).delete()[0]
    return deleted
