"""Coaching assessments: a coach's review of one agent, opened by an opportunity or by hand.

The lifecycle is an FSM (``protected``: only transitions move it)::

    open → in_progress → resolved → closed_complete
    open | in_progress | resolved → closed_incomplete   (expiry or cancellation)
    open → closed_complete                               (virtual coach)

Transitions touch only the instance; :mod:`coaching.services` locks the row, runs them,
writes the transition log and performs the effects (skills, training, surveys).
Training is a set of ``learning.CourseItem`` (through :class:`AssessmentCourse`); the
surveys are ``surveys.SurveyTemplate`` rows of the matching audience.

Coaching owns its links to the apps below it, as real foreign keys inside one tenant: the
learning tasks and survey responses a completion created (:class:`AssessmentLearningTask`,
:class:`AssessmentSurvey`) and the match-log line that opened an assessment
(``opportunity_match``). Those apps never know about assessments.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from tenancy.models import TenantModel
from tenancy.validation import LONG_TEXT, text_limit

from .enums import OPEN_STATES, AssessmentState, Origin


class CoachingAssessment(FSMModelMixin, TenantModel):
    opportunity = models.ForeignKey(
        "opportunities.CoachingOpportunity", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assessments",
    )
    work_item = models.ForeignKey(
        "work.WorkItem", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assessments",
    )
    event = models.ForeignKey(
        "work.WorkEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The work event that triggered it (idempotency key with the opportunity).",
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="coached_assessments",
    )
    state = FSMField(
        max_length=20, choices=AssessmentState.choices, default=AssessmentState.OPEN,
        protected=True,
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    virtual_coach = models.ForeignKey(
        "opportunities.VirtualCoach", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assessments",
    )
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)], help_text="0–100."
    )
    follow_up = models.BooleanField("follow-up needed", default=False)
    comments = models.TextField(blank=True, **text_limit(LONG_TEXT))
    due_date = models.DateField()
    cancel_reason = models.CharField(max_length=500, blank=True)
    courses = models.ManyToManyField(
        "learning.CourseItem", through="AssessmentCourse", blank=True, related_name="+",
        help_text="Training: course items assigned to the trainee on completion.",
    )
    coach_survey = models.ForeignKey(
        "surveys.SurveyTemplate", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", limit_choices_to={"audience": "coach_about_trainee"},
    )
    trainee_survey = models.ForeignKey(
        "surveys.SurveyTemplate", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", limit_choices_to={"audience": "trainee_about_coach"},
    )
    opportunity_match = models.OneToOneField(
        "opportunities.OpportunityMatch", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
        help_text="The line of the opportunity's match log that opened it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "event", "trainee"], name="assessment_once_per_event",
                condition=models.Q(opportunity__isnull=False, event__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__lte=100),
                name="assessment_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state", "due_date"], name="assessment_org_state"),
            models.Index(fields=["organization", "trainee", "opportunity", "created_at"],
                         name="assessment_org_trainee_opp"),
            models.Index(fields=["organization", "coach"], name="assessment_org_coach"),
            models.Index(fields=["organization", "created_at"], name="assessment_org_created"),
        ]

    def __str__(self) -> str:
        return f"Assessment #{self.pk} of {self.trainee}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def created_by_label(self) -> str:
        if self.virtual_coach_id:
            return f"Virtual coach {self.virtual_coach}"
        if self.origin == Origin.OPPORTUNITY and self.opportunity_id:
            return f"Opportunity “{self.opportunity}”"
        return str(self.created_by or "—")

    # --- transitions (only the instance; the services do the rest) --------------------

    @transition(field=state, source=AssessmentState.OPEN, target=AssessmentState.IN_PROGRESS)
    def start(self) -> None:
        pass

    @transition(field=state, source=AssessmentState.IN_PROGRESS, target=AssessmentState.RESOLVED)
    def resolve(self) -> None:
        pass

    @transition(field=state, source=AssessmentState.RESOLVED,
                target=AssessmentState.CLOSED_COMPLETE)
    def complete(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, source=AssessmentState.OPEN, target=AssessmentState.CLOSED_COMPLETE,
                conditions=[lambda a: a.virtual_coach_id is not None])
    def complete_virtually(self) -> None:
        self.closed_at = timezone.now()

    @transition(field=state, source=list(OPEN_STATES), target=AssessmentState.CLOSED_INCOMPLETE)
    def cancel(self, reason: str) -> None:
        self.cancel_reason = reason[:500]
        self.closed_at = timezone.now()

    @transition(field=state, source=list(OPEN_STATES), target=AssessmentState.CLOSED_INCOMPLETE)
    def expire(self) -> None:
        self.cancel_reason = "The due date passed."
        self.closed_at = timezone.now()


class AssessmentSkill(TenantModel):
    """A skill (at a level) to award the trainee when the assessment completes."""

    assessment = models.ForeignKey(
        CoachingAssessment, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey("skills.SkillLevel", on_delete=models.PROTECT, related_name="+")
    awarded = models.BooleanField(default=False)

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "skill"], name="assessmentskill_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.level})"


class AssessmentCourse(TenantModel):
    """A course item to assign the trainee when the assessment completes."""

    assessment = models.ForeignKey(
        CoachingAssessment, on_delete=models.CASCADE, related_name="course_links"
    )
    course = models.ForeignKey("learning.CourseItem", on_delete=models.CASCADE,
                               related_name="+")

    class Meta:
        ordering = ["course__title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "course"],
                                    name="assessmentcourse_unique"),
        ]
        indexes = [models.Index(fields=["organization", "course"],
                                name="assessmentcourse_org_course")]

    def __str__(self) -> str:
        return str(self.course)


class AssessmentLearningTask(TenantModel):
    """A learning task the completion of an assessment assigned (the training)."""

    assessment = models.ForeignKey(
        CoachingAssessment, on_delete=models.CASCADE, related_name="learning_task_links"
    )
    task = models.OneToOneField("learning.LearningTask", on_delete=models.CASCADE,
                                related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "assessment"],
                                name="assessmenttask_org_asmt")]

    def __str__(self) -> str:
        return f"Task {self.task_id} of assessment {self.assessment_id}"


class AssessmentSurvey(TenantModel):
    """A survey sent for an assessment: the coach's or the trainee's response."""

    assessment = models.ForeignKey(
        CoachingAssessment, on_delete=models.CASCADE, related_name="survey_links"
    )
    response = models.OneToOneField("surveys.SurveyResponse", on_delete=models.CASCADE,
                                    related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organization", "assessment"],
                                name="assessmentsurvey_org_asmt")]

    def __str__(self) -> str:
        return f"Survey response {self.response_id} of assessment {self.assessment_id}"


class AssessmentTransition(TenantModel):
    """Who moved an assessment from which state to which, and when."""

    assessment = models.ForeignKey(
        CoachingAssessment, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=20, choices=AssessmentState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=AssessmentState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["organization", "assessment"], name="assessmenttr_org")]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"
