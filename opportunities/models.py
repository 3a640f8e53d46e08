"""Coaching opportunities: the moments in a work item's life that call for coaching.

An opportunity holds a condition (see :mod:`opportunities.conditions`), when it fires,
how the coach is chosen, and what completing its assessment brings. Every write goes
through :mod:`opportunities.services`.

What completing an assessment brings is a real reference into the apps below: course
items of ``learning`` (through :class:`OpportunityCourse`, a tenant-owned link row) and
``surveys`` templates of the right audience for the coach and the trainee survey. The
services check that each one belongs to the opportunity's organization.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenancy.models import TenantModel
from tenancy.validation import LONG_TEXT, text_limit

from .enums import CoachChoice, FiresOn, MatchOutcome


def default_condition() -> dict:
    return {"all": [{"field": "reassignment_count", "op": "gte", "value": 3}]}


class CoachingOpportunity(TenantModel):
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    active = models.BooleanField(default=True)
    kinds = models.JSONField(
        default=list, blank=True,
        help_text="Work-item kinds it applies to; empty means every kind.",
    )
    fires_on = models.CharField(max_length=10, choices=FiresOn.choices, default=FiresOn.UPDATE)
    condition = models.JSONField(default=default_condition)
    coach_choice = models.CharField(
        "coach", max_length=16, choices=CoachChoice.choices, default=CoachChoice.TEAM_MANAGER
    )
    named_coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    due_in_days = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    suppress_days = models.PositiveSmallIntegerField(
        "suppression window (days)", default=0, validators=[MaxValueValidator(365)],
        help_text="No second assessment for the same agent within this many days (0: off).",
    )
    sample_rate = models.PositiveSmallIntegerField(
        "sample rate (%)", default=100, validators=[MaxValueValidator(100)],
        help_text="Open an assessment for this share of the matches.",
    )
    exempt_first_days = models.PositiveSmallIntegerField(
        "exempt new agents (days)", default=0, validators=[MaxValueValidator(365)],
        help_text="Agents who joined less than this many days ago are left alone.",
    )
    courses = models.ManyToManyField(
        "learning.CourseItem", through="OpportunityCourse", blank=True, related_name="+",
        help_text="Course items assigned to the agent on completion.",
    )
    coach_survey = models.ForeignKey(
        "surveys.SurveyTemplate", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", limit_choices_to={"audience": "coach_about_trainee"},
        help_text="The coach's survey about the agent; its score sets the rating.",
    )
    trainee_survey = models.ForeignKey(
        "surveys.SurveyTemplate", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", limit_choices_to={"audience": "trainee_about_coach"},
        help_text="The agent's survey about the coaching.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "coaching opportunities"
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="opportunity_unique_name",
                violation_error_message="An opportunity with this name already exists.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "active"], name="opportunity_org_active"),
        ]

    def __str__(self) -> str:
        return self.name


class OpportunitySkill(TenantModel):
    """A skill (at a level) completing the opportunity's assessment awards."""

    opportunity = models.ForeignKey(
        CoachingOpportunity, on_delete=models.CASCADE, related_name="skill_awards"
    )
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey("skills.SkillLevel", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "skill"], name="oppskill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.level})"


class OpportunityCourse(TenantModel):
    """A course item completing the opportunity's assessment assigns."""

    opportunity = models.ForeignKey(
        CoachingOpportunity, on_delete=models.CASCADE, related_name="course_links"
    )
    course = models.ForeignKey("learning.CourseItem", on_delete=models.CASCADE,
                               related_name="+")

    class Meta:
        ordering = ["course__title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "course"], name="oppcourse_unique"),
        ]
        indexes = [models.Index(fields=["organization", "course"], name="oppcourse_org_course")]

    def __str__(self) -> str:
        return str(self.course)


class VirtualCoach(TenantModel):
    """Completes its opportunity's assessments at once, with the opportunity's rewards."""

    opportunity = models.OneToOneField(
        CoachingOpportunity, on_delete=models.CASCADE, related_name="virtual_coach"
    )
    name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "virtual coaches"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OpportunityMatch(TenantModel):
    """One line of an opportunity's match log (the last few hundred are kept)."""

    opportunity = models.ForeignKey(
        CoachingOpportunity, on_delete=models.CASCADE, related_name="matches"
    )
    work_item = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "work.WorkEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(max_length=12, choices=MatchOutcome.choices)
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-matched_at", "-id"]
        verbose_name_plural = "opportunity matches"
        indexes = [
            models.Index(fields=["organization", "opportunity", "matched_at"],
                         name="oppmatch_org_opp_at"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_outcome_display()}"
