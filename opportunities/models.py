"""Coaching opportunities: the moments in a work item's life that call for coaching.

An opportunity holds a condition (see :mod:`opportunities.conditions`), when it fires,
how the coach is chosen, and what completing its assessment brings. Every write goes
through :mod:`opportunities.services`.

Seams for apps that do not exist yet: course items are kept as titles (``courses``) and
the coach and trainee surveys as names; the learning and surveys apps resolve them
against their catalogues when they land.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenancy.models import TenantModel

from .enums import CoachChoice, FiresOn, MatchOutcome


def default_condition() -> dict:
    return {"all": [{"field": "reassignment_count", "op": "gte", "value": 3}]}


class CoachingOpportunity(TenantModel):
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
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
    courses = models.JSONField(
        default=list, blank=True, help_text="Course titles to assign on completion."
    )
    coach_survey = models.CharField(max_length=150, blank=True)
    trainee_survey = models.CharField(max_length=150, blank=True)
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


class VirtualCoach(TenantModel):
    """Completes its opportunity's assessments at once, with the opportunity's rewards."""

    opportunity = models.OneToOneField(
        CoachingOpportunity, on_delete=models.CASCADE, related_name="virtual_coach"
    )
    name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
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
    assessment_id = models.PositiveBigIntegerField(null=True, blank=True)
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-matched_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "opportunity", "matched_at"],
                         name="oppmatch_org_opp_at"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_outcome_display()}"
