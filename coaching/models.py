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
from django.db.models.functions import Lower
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
            # The assessments list's order (newest first), a page at a time, by state too.
            models.Index(fields=["organization", "-created_at", "-id"], name="assessment_org_list"),
            models.Index(fields=["organization", "state", "-created_at", "-id"],
                         name="assessment_org_state_list"),
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


# --- Coaching from quality: marks, groups, coaching assignments (issue 15) --------------
#
# A QA user *marks* an agent for coaching on one or more areas (scorecard attribute keys)
# from an evaluation; marks wait in the "Marked for coaching" workspace, alone or gathered
# in a *group*; an individual assignment is created from an agent's marks, from an
# evaluation, or — one per agent — by dispatching a group. An assignment keeps which group
# it came from (``origin_group``) for supervisors only; nothing shown to the agent reads it.


class MarkState(models.TextChoices):
    ACTIVE = "active", "Active"
    ASSIGNED = "assigned", "Assigned"
    REMOVED = "removed", "Removed"


class AssignmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Yet to start"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


# The same state reads differently for the agent, who is invited to begin.
AGENT_STATUS_LABELS = {
    AssignmentStatus.NOT_STARTED: "Start coaching",
    AssignmentStatus.IN_PROGRESS: "In progress",
    AssignmentStatus.COMPLETED: "Completed",
}


class CoachingGroup(TenantModel):
    """Agents gathered for one bulk dispatch. ``sent_at`` set: dispatched (then read-only).
    Names are unique (case-insensitively) among the tenant's groups not yet sent."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    areas = models.JSONField(
        default=list, blank=True,
        help_text="Shared coaching areas: [{key, name}] of scorecard attributes.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "organization", condition=models.Q(sent_at__isnull=True),
                name="coachinggroup_unsent_name",
            ),
        ]
        indexes = [models.Index(fields=["organization", "sent_at"], name="coachinggroup_org_sent")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class CoachingGroupAgent(TenantModel):
    group = models.ForeignKey(CoachingGroup, on_delete=models.CASCADE, related_name="members")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "agent"], name="coachinggroupagent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} in group {self.group_id}"


class CoachingAssignment(FSMModelMixin, TenantModel):
    """One agent's coaching assignment. Status (FSM, ``protected``) follows the agent's
    reviews: ``not_started → in_progress`` at the first reviewed item, ``→ completed`` once
    every interaction and best-response example is reviewed
    (:mod:`coaching.services.assignments` locks the row and moves it)."""

    name = models.CharField(max_length=150)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaching_assignments"
    )
    assigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_date = models.DateField()
    follow_up_date = models.DateField()
    strengths = models.TextField(blank=True, **text_limit(LONG_TEXT))
    improvements = models.TextField("areas to improve", blank=True, **text_limit(LONG_TEXT))
    action_plan = models.JSONField(default=list, blank=True, help_text="Steps, in order.")
    status = FSMField(
        max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.NOT_STARTED,
        protected=True,
    )
    # For supervisors only (list filters, drill-down); never shown or serialized to agents.
    origin_group = models.ForeignKey(
        CoachingGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assigned_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(follow_up_date__gte=models.F("assigned_date")),
                name="coachingassignment_follow_up_after_assigned",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "agent", "status"],
                         name="coachingassign_org_agent"),
            models.Index(fields=["organization", "status", "follow_up_date"],
                         name="coachingassign_org_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"

    @property
    def agent_status_label(self) -> str:
        return AGENT_STATUS_LABELS[self.status]

    @transition(field=status, source=AssignmentStatus.NOT_STARTED,
                target=AssignmentStatus.IN_PROGRESS)
    def start(self) -> None:
        self.started_at = timezone.now()

    @transition(field=status, source=[AssignmentStatus.NOT_STARTED, AssignmentStatus.IN_PROGRESS],
                target=AssignmentStatus.COMPLETED)
    def complete(self) -> None:
        now = timezone.now()
        self.started_at = self.started_at or now
        self.completed_at = now


class AssignmentArea(TenantModel):
    """A coaching area of an assignment: a scorecard attribute's stable key and its name."""

    assignment = models.ForeignKey(CoachingAssignment, on_delete=models.CASCADE,
                                   related_name="areas")
    attribute_key = models.SlugField(max_length=100)
    attribute_name = models.CharField(max_length=150)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "attribute_key"],
                                    name="assignmentarea_once"),
        ]
        indexes = [models.Index(fields=["organization", "attribute_key"],
                                name="assignmentarea_org_key")]

    def __str__(self) -> str:
        return self.attribute_name


class AssignmentInteraction(TenantModel):
    """An interaction marked for coaching in an assignment, with the evaluation it was
    marked from and when the agent reviewed it."""

    assignment = models.ForeignKey(CoachingAssignment, on_delete=models.CASCADE,
                                   related_name="interaction_links")
    interaction = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("quality.Evaluation", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    area_names = models.CharField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "interaction"],
                                    name="assignmentinteraction_once"),
        ]

    def __str__(self) -> str:
        return f"Interaction {self.interaction_id} of assignment {self.assignment_id}"


class AssignmentExample(TenantModel):
    """A best-response example (a bookmarked interaction) attached to an assignment."""

    assignment = models.ForeignKey(CoachingAssignment, on_delete=models.CASCADE,
                                   related_name="example_links")
    best_response = models.ForeignKey("quality.BestResponse", on_delete=models.CASCADE,
                                      related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "best_response"],
                                    name="assignmentexample_once"),
        ]

    def __str__(self) -> str:
        return f"Example {self.best_response_id} of assignment {self.assignment_id}"


class CoachingMark(TenantModel):
    """One agent marked for coaching in one area, by one user, from one interaction.

    One ACTIVE mark per (marker, agent, area): a partial unique constraint. ``group``: the
    coaching group it waits in (else it is an individual candidate); ``assignment``: what
    it became."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="coaching_marks")
    attribute_key = models.SlugField(max_length=100)
    attribute_name = models.CharField(max_length=150)
    interaction = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey("quality.Evaluation", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    state = models.CharField(max_length=10, choices=MarkState.choices, default=MarkState.ACTIVE)
    group = models.ForeignKey(CoachingGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="marks")
    assignment = models.ForeignKey(CoachingAssignment, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["marked_by", "agent", "attribute_key"],
                condition=models.Q(state="active"), name="coachingmark_one_active",
            ),
        ]
        indexes = [models.Index(fields=["organization", "state", "agent"],
                                name="coachingmark_org_state")]

    def __str__(self) -> str:
        return f"{self.agent_id} marked for {self.attribute_name}"


# --- Behaviour coaching plans and advice (issue 18) --------------------------------------
#
# A manager sends an agent advice on one behaviour (a scorecard attribute) as a *plan* with
# a target score and date. Status (FSM, ``protected``)::
#
#     draft → shared (sent) → working (the agent opened it) → improvement | action_required
#     shared → improvement | action_required   (the target date passed, never opened)
#
# :mod:`coaching.services.plans` locks the row and moves it; the beat task decides the
# outcome at the target date from the behaviour's score over the plan period.


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SHARED = "shared", "Shared"
    WORKING = "working", "Working on it"
    IMPROVEMENT = "improvement", "Improvement"
    ACTION_REQUIRED = "action_required", "Action required"


PLAN_RUNNING = (PlanStatus.SHARED, PlanStatus.WORKING)


class CoachingPlan(FSMModelMixin, TenantModel):
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coaching_plans"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Who created the plan.",
    )
    attribute_key = models.SlugField(max_length=100)
    attribute_name = models.CharField(max_length=150)
    advice = models.TextField(**text_limit(LONG_TEXT), help_text="As sent to the agent.")
    advice_variant = models.CharField(max_length=100, blank=True,
                                      help_text="The generated variant it started from.")
    target_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    start_date = models.DateField(null=True, blank=True, help_text="The day it was sent.")
    target_date = models.DateField()
    status = FSMField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT,
                      protected=True)
    outcome_note = models.CharField(max_length=300, blank=True)
    outcome_score = models.FloatField(null=True, blank=True)
    outcome_n = models.IntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(target_percent__lte=100),
                                   name="coachingplan_target_range"),
        ]
        indexes = [
            models.Index(fields=["organization", "agent", "status"], name="coachingplan_org_agent"),
            models.Index(fields=["organization", "status", "target_date"],
                         name="coachingplan_org_due"),
        ]

    def __str__(self) -> str:
        return f"Plan #{self.pk}: {self.attribute_name} for {self.agent_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @transition(field=status, source=PlanStatus.DRAFT, target=PlanStatus.SHARED)
    def share(self, on) -> None:
        self.start_date = on
        self.sent_at = timezone.now()

    @transition(field=status, source=PlanStatus.SHARED, target=PlanStatus.WORKING)
    def acknowledge(self) -> None:
        self.opened_at = timezone.now()

    @transition(field=status, source=list(PLAN_RUNNING), target=PlanStatus.IMPROVEMENT)
    def improve(self, score: float, n: int, note: str = "") -> None:
        self.outcome_score, self.outcome_n, self.outcome_note = score, n, note[:300]
        self.decided_at = timezone.now()

    @transition(field=status, source=list(PLAN_RUNNING), target=PlanStatus.ACTION_REQUIRED)
    def require_action(self, score: float | None, n: int, note: str) -> None:
        self.outcome_score, self.outcome_n, self.outcome_note = score, n, note[:300]
        self.decided_at = timezone.now()


class PlanExampleKind(models.TextChoices):
    WEAK = "weak", "Where the agent struggled"
    BEST = "best", "A best response"


class PlanExample(TenantModel):
    """An example interaction attached to a plan."""

    plan = models.ForeignKey(CoachingPlan, on_delete=models.CASCADE, related_name="examples")
    interaction = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=PlanExampleKind.choices,
                            default=PlanExampleKind.WEAK)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "interaction"], name="planexample_once"),
        ]

    def __str__(self) -> str:
        return f"Interaction {self.interaction_id} of plan {self.plan_id}"


class PlanNote(TenantModel):
    """A meeting note on a plan: the manager writes it, both sides read it."""

    plan = models.ForeignKey(CoachingPlan, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(**text_limit(LONG_TEXT))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "plan"], name="plannote_org_plan")]

    def __str__(self) -> str:
        return f"Note {self.pk} on plan {self.plan_id}"


class AdviceFeedback(TenantModel):
    """A thumbs up (+1) or down (−1) on a generated advice variant for one behaviour.
    One vote per user, behaviour and variant (voting again replaces it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    attribute_key = models.SlugField(max_length=100)
    variant_key = models.CharField(max_length=100)
    vote = models.SmallIntegerField(choices=[(1, "Thumbs up"), (-1, "Thumbs down")])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "attribute_key", "variant_key"],
                                    name="advicefeedback_once"),
            models.CheckConstraint(condition=models.Q(vote__in=[1, -1]),
                                   name="advicefeedback_vote"),
        ]
        indexes = [models.Index(fields=["organization", "attribute_key"],
                                name="advicefeedback_org_attr")]

    def __str__(self) -> str:
        return f"{self.variant_key}: {self.vote:+d}"
