"""Scorecards (versioned evaluation forms of attributes), evaluations of interactions with
their answers and history, best-response bookmarks, audit allocation, the automatic
scorers' agreement with humans, and the per-agent, per-day rollups dashboards read.

An *interaction* is a ``work.WorkItem`` (of kind call, chat or e-mail, usually with a
``work.Transcript``). A *scorecard* row is one **version** of a form: rows of the same
``key`` are the versions of one scorecard, exactly one of them ``is_current``. A version
that has evaluations is never edited: editing makes the next version, so an old evaluation
keeps the attributes it was answered against. Attributes carry a ``key`` stable across
versions (the behaviour, the coaching area), which dashboards, agreement and the learned
scorers group by.

Every write goes through :mod:`quality.services`.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from tenancy.models import TenantModel
from tenancy.validation import LONG_TEXT, SHORT_TEXT, text_limit

from .enums import (
    AWAITING_AGENT,
    AnswerType,
    CalibrationSource,
    CalibrationState,
    CalibrationSubject,
    DisputeDecision,
    EvaluationKind,
    EvaluationState,
    ReviewState,
)


class Scorecard(TenantModel):
    """One version of an evaluation form."""

    key = models.SlugField(
        max_length=100, help_text="Stable across versions (derived from the first name)."
    )
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    is_default = models.BooleanField(
        "default scorecard", default=False,
        help_text="Used for interactions whose queue has no scorecard of its own.",
    )
    queue = models.CharField(
        max_length=100, blank=True,
        help_text="Used for interactions of this queue (empty: not tied to a queue).",
    )
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key", "version"], name="scorecard_unique_version"
            ),
            models.UniqueConstraint(
                fields=["organization", "key"], condition=models.Q(is_current=True),
                name="scorecard_one_current",
            ),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_current=True, is_default=True),
                name="scorecard_one_default",
            ),
            models.UniqueConstraint(
                fields=["organization", "queue"],
                condition=models.Q(is_current=True) & ~models.Q(queue=""),
                name="scorecard_one_per_queue",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "is_current"], name="scorecard_org_current"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Attribute(TenantModel):
    """A behaviour scored on a scorecard version: a yes/no question or a 0–N scale.

    ``auto`` is how it is scored automatically: ``None`` (only by hand) or a rule
    (``{"rule": "agent_says", "phrases": […], "within_first_turns": 2}``…; see
    :mod:`quality.scoring.rules`). ``critical``: a failed answer (no, or 0 on a scale) sets
    the evaluation's total to 0.
    """

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="attributes")
    key = models.SlugField(max_length=100, help_text="Stable across scorecard versions.")
    name = models.CharField(max_length=150)
    section = models.CharField(max_length=150, blank=True)
    position = models.PositiveIntegerField(default=0)
    guidance = models.TextField(blank=True, **text_limit(LONG_TEXT))
    answer_type = models.CharField(
        max_length=8, choices=AnswerType.choices, default=AnswerType.YES_NO
    )
    scale_max = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="The top of a 0–N scale (scale answers only).",
    )
    weight = models.PositiveIntegerField(default=1, validators=[MaxValueValidator(1000)])
    critical = models.BooleanField(default=False)
    na_allowed = models.BooleanField("N/A allowed", default=True)
    disputable = models.BooleanField(default=True)
    auto = models.JSONField(null=True, blank=True, help_text="Automatic scoring rule, or empty.")

    class Meta:
        ordering = ["scorecard", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "key"], name="attribute_unique_key"),
            models.CheckConstraint(
                condition=(models.Q(answer_type=AnswerType.YES_NO, scale_max__isnull=True)
                           | models.Q(answer_type=AnswerType.SCALE, scale_max__gte=1)),
                name="attribute_scale_has_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def answer_label(self) -> str:
        return f"scale:{self.scale_max}" if self.answer_type == AnswerType.SCALE else "yes_no"

    def points(self, value: int) -> float:
        """The share of the attribute's weight an answer earns, 0…1."""
        if self.answer_type == AnswerType.SCALE:
            return value / self.scale_max
        return 1.0 if value else 0.0


class Evaluation(FSMModelMixin, TenantModel):
    """One scoring of one interaction against one scorecard version.

    ``kind``: ``auto`` (the automatic scorer; one per interaction and version, rescored in
    place when the transcript changes), ``manual`` (an audit) or ``calibration`` (never
    counts toward agents' scores, never shown to agents). Lifecycle ``draft → submitted →
    released``; released is what the agent sees. ``total`` is 0–100 (``None`` while a draft
    or when every answer is N/A), 0 when a critical attribute failed.
    """

    interaction = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="evaluations"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="quality_evaluations",
        help_text="Whose work was scored (the interaction's agent when it was evaluated).",
    )
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="evaluations")
    kind = models.CharField(max_length=12, choices=EvaluationKind.choices)
    state = FSMField(
        max_length=12, choices=EvaluationState.choices, default=EvaluationState.DRAFT,
        protected=True,
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="quality_audits", help_text="The person who scored (empty: automatic).",
    )
    scorer = models.CharField(
        max_length=100, blank=True, help_text="The automatic scorer and its version."
    )
    total = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    critical_failed = models.BooleanField(default=False)
    sentiment = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-1), MaxValueValidator(1)],
        help_text="The customer's sentiment over the interaction, −1 … 1.",
    )
    comment = models.TextField(blank=True, **text_limit(LONG_TEXT))
    error = models.TextField(blank=True, help_text="Why automatic scoring failed, if it did.")
    interaction_at = models.DateTimeField(
        help_text="When the interaction happened (its opened date, else when it arrived)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    release_at = models.DateTimeField(
        null=True, blank=True, help_text="When a submitted audit will be released."
    )
    released_at = models.DateTimeField(null=True, blank=True)
    review_state = FSMField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.NONE, blank=True,
        protected=True, help_text="The agent's accept & dispute review (audits only).",
    )
    review_rounds = models.PositiveSmallIntegerField(
        default=0, help_text="Dispute rounds raised so far."
    )
    review_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Until when the agent may accept or dispute."
    )
    reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the review ended (accepted, resolved, closed)."
    )
    calibration_item = models.ForeignKey(
        "quality.CalibrationItem", null=True, blank=True, on_delete=models.CASCADE,
        related_name="evaluations",
        help_text="The calibration session's interaction this scores (calibration only).",
    )

    class Meta:
        ordering = ["-interaction_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "scorecard"], condition=models.Q(kind="auto"),
                name="evaluation_one_auto_per_version",
            ),
            models.CheckConstraint(
                condition=models.Q(total__isnull=True) | models.Q(total__range=(0, 100)),
                name="evaluation_total_range",
            ),
            models.UniqueConstraint(
                fields=["calibration_item", "evaluator"],
                condition=models.Q(kind="calibration"),
                name="evaluation_one_calibration_per_evaluator",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="calibration", calibration_item__isnull=False)
                           | ~models.Q(kind="calibration")
                           & models.Q(calibration_item__isnull=True)),
                name="evaluation_calibration_has_item",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "agent", "kind", "interaction_at"],
                         name="evaluation_org_agent_kind"),
            models.Index(fields=["organization", "kind", "state", "interaction_at"],
                         name="evaluation_org_kind_state"),
            models.Index(fields=["organization", "interaction", "kind"],
                         name="evaluation_org_interaction"),
            models.Index(fields=["organization", "evaluator", "state"],
                         name="evaluation_org_evaluator"),
            models.Index(fields=["release_at"], name="evaluation_release_due",
                         condition=models.Q(state="submitted", release_at__isnull=False)),
            models.Index(fields=["organization", "agent", "review_state"],
                         name="evaluation_org_review",
                         condition=~models.Q(review_state="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} evaluation #{self.pk} of {self.interaction_id}"

    @property
    def counts(self) -> bool:
        """Whether it counts toward the agent's scores."""
        return (self.kind in (EvaluationKind.AUTO, EvaluationKind.MANUAL)
                and self.state != EvaluationState.DRAFT)

    # --- transitions (only the instance; quality.services does the rest) ---------------

    @transition(field=state, source=EvaluationState.DRAFT, target=EvaluationState.SUBMITTED)
    def submit(self) -> None:
        pass

    @transition(field=state, source=EvaluationState.SUBMITTED, target=EvaluationState.RELEASED)
    def release(self) -> None:
        pass

    @transition(field=state, source=EvaluationState.DRAFT, target=EvaluationState.RELEASED)
    def publish(self) -> None:
        """Automatic evaluations have no human step: scored means released."""

    # --- the agent's review (quality.services.disputes does the rest) -------------------

    @transition(field=review_state, source=ReviewState.NONE, target=ReviewState.PENDING_AGENT)
    def request_review(self) -> None:
        pass

    @transition(field=review_state, source=ReviewState.PENDING_AGENT,
                target=ReviewState.ACCEPTED)
    def accept(self) -> None:
        pass

    @transition(field=review_state, source=ReviewState.RE_EVALUATED,
                target=ReviewState.RESOLVED)
    def accept_outcome(self) -> None:
        """The agent accepts the re-evaluation: the review is resolved."""

    @transition(field=review_state, source=list(AWAITING_AGENT),
                target=ReviewState.PENDING_SUPERVISOR)
    def dispute(self) -> None:
        pass

    @transition(field=review_state, source=ReviewState.PENDING_SUPERVISOR,
                target=ReviewState.RE_EVALUATED)
    def re_evaluate(self) -> None:
        pass

    @transition(field=review_state, source=ReviewState.PENDING_SUPERVISOR,
                target=ReviewState.RESOLVED)
    def resolve(self) -> None:
        """The last round is decided: the review is resolved."""

    @transition(field=review_state, source=list(AWAITING_AGENT), target=ReviewState.CLOSED)
    def close_review(self) -> None:
        """The agent let the window pass: the score stands as it is."""


class Answer(TenantModel):
    """An evaluation's answer to one attribute.

    ``value``: 1 (yes) / 0 (no) for yes/no attributes, 0…N on a scale; ``None`` with
    ``na`` for not applicable (or not answered yet in a draft). ``evidence`` lists the
    transcript turn indexes that decided it. For an automatic evaluation, ``scorer`` is the
    scorer whose answer this is (the one that agrees best with humans) and
    ``alternatives`` keeps every scorer's answer ``{scorer: value | "na"}``, so agreement
    can be measured per scorer.
    """

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="answers")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)
    na = models.BooleanField("N/A", default=False)
    comment = models.TextField(blank=True, **text_limit(LONG_TEXT))
    evidence = models.JSONField(default=list, blank=True)
    scorer = models.CharField(max_length=100, blank=True)
    alternatives = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["attribute__position", "attribute_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "attribute"], name="answer_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "attribute"], name="answer_org_attribute"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute}: {self.display}"

    @property
    def display(self) -> str:
        if self.na:
            return "N/A"
        if self.value is None:
            return "—"
        if self.attribute.answer_type == AnswerType.YES_NO:
            return "Yes" if self.value else "No"
        return f"{self.value}/{self.attribute.scale_max}"

    @property
    def api_value(self) -> str | int | None:
        if self.na:
            return "na"
        if self.value is None:
            return None
        if self.attribute.answer_type == AnswerType.YES_NO:
            return "yes" if self.value else "no"
        return self.value


class EvaluationChange(TenantModel):
    """One line of an evaluation's history: who changed what, when, from what to what.

    ``attribute`` is empty for changes of the evaluation itself (state, comment, total).
    ``before``/``after`` hold the values as shown to people.
    """

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    attribute = models.CharField(max_length=150, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=SHORT_TEXT, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["organization", "evaluation", "at"], name="evalchange_org_eval"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on evaluation {self.evaluation_id} at {self.at:%Y-%m-%d %H:%M}"


class BestResponse(TenantModel):
    """An interaction bookmarked as an example of doing one behaviour well."""

    interaction = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="best_responses"
    )
    attribute_key = models.SlugField(max_length=100)
    attribute_name = models.CharField(max_length=150)
    note = models.CharField(max_length=SHORT_TEXT, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "attribute_key"], name="bestresponse_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "attribute_key"], name="bestresponse_org_attr"),
        ]

    def __str__(self) -> str:
        return f"Best response for {self.attribute_name}: {self.interaction_id}"


class AuditAssignment(TenantModel):
    """An interaction the allocation sent to one evaluator's audit queue."""

    interaction = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="audit_assignments"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audit_assignments",
    )
    week = models.DateField(help_text="The Monday of the week it was allocated for.")
    reason = models.CharField(max_length=100, blank=True)
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The audit that answered it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["completed_at", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "interaction"], name="auditassignment_once"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "evaluator", "completed_at"],
                         name="auditassign_org_evaluator"),
            models.Index(fields=["organization", "week", "agent"], name="auditassign_org_week"),
        ]

    def __str__(self) -> str:
        return f"Audit of {self.interaction_id} for {self.evaluator}"


class AttributeAgreement(TenantModel):
    """How often one automatic scorer agrees with human audits on one attribute.

    Measured over interactions that have both an automatic and a manual answer (latest
    audit per interaction). ``verified``: this scorer has reached the tenant's bar
    (Cohen's κ and number of pairs). Recomputed by :mod:`quality.services.agreement`.
    """

    scorecard_key = models.SlugField(max_length=100)
    attribute_key = models.SlugField(max_length=100)
    scorer = models.CharField(max_length=100)
    pairs = models.PositiveIntegerField(default=0)
    agreement = models.FloatField(null=True, blank=True, help_text="Share of equal answers.")
    kappa = models.FloatField(null=True, blank=True, help_text="Cohen's κ (weighted for scales).")
    verified = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scorecard_key", "attribute_key", "scorer"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scorecard_key", "attribute_key", "scorer"],
                name="agreement_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_key} / {self.scorer}: κ={self.kappa} over {self.pairs}"


class LearnedScorer(TenantModel):
    """A scikit-learn model that answers one attribute from the agent's turns.

    Trained from the tenant's manual answers once there are enough; ``model`` is the
    pickled pipeline (written and read only by :mod:`quality.scoring.learned`).
    """

    scorecard_key = models.SlugField(max_length=100)
    attribute_key = models.SlugField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    trained_at = models.DateTimeField(default=timezone.now)
    training_size = models.PositiveIntegerField(default=0)
    heldout_size = models.PositiveIntegerField(default=0)
    heldout_agreement = models.FloatField(null=True, blank=True)
    heldout_kappa = models.FloatField(null=True, blank=True)
    model = models.BinaryField(editable=False)

    class Meta:
        ordering = ["scorecard_key", "attribute_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "scorecard_key", "attribute_key"],
                name="learnedscorer_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Learned scorer v{self.version} for {self.attribute_key}"

    @property
    def name(self) -> str:
        return f"learned:{self.version}"


class ScoreRollup(TenantModel):
    """Running sums per agent, day, kind, scorecard and attribute, so dashboards never scan
    evaluations.

    ``attribute_key`` is ``""`` for the evaluation total (values 0–100); for an attribute
    the values are its points 0–1 and ``failures`` counts failed answers (no / 0).
    For automatic evaluations ``scorer`` is the scorer that gave the answers (attribute
    rows), so a dashboard can count only verified scorers. Maintained incrementally by
    :func:`quality.services.answers.save_answers` in the transaction of the change.
    """

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=12, choices=EvaluationKind.choices)
    scorecard_key = models.SlugField(max_length=100)
    attribute_key = models.CharField(max_length=100, blank=True)
    scorer = models.CharField(max_length=100, blank=True)
    n = models.IntegerField(default=0)
    total = models.FloatField(default=0)
    total_sq = models.FloatField(default=0)
    failures = models.IntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "agent", "day", "kind", "scorecard_key",
                        "attribute_key", "scorer"],
                name="scorerollup_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "day", "kind", "attribute_key"],
                         name="scorerollup_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.day} {self.kind} {self.attribute_key or 'total'}: n={self.n}"


class Dispute(TenantModel):
    """One round of an agent's dispute of an audit: the attributes contested (its
    :class:`DisputeItem` rows), who decides it and by when, and the decision."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="disputes")
    round = models.PositiveSmallIntegerField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    raised_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="quality_disputes_to_review",
        help_text="Who decides it (the auditor; the arbitrator for the last round).",
    )
    due_at = models.DateTimeField(help_text="The reviewers' service level: decide by then.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    total_before = models.FloatField(null=True, blank=True)
    total_after = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["evaluation", "round"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "round"], name="dispute_unique_round"),
        ]
        indexes = [
            models.Index(fields=["organization", "decided_at", "due_at"],
                         name="dispute_org_open"),
            models.Index(fields=["organization", "reviewer", "decided_at"],
                         name="dispute_org_reviewer"),
        ]

    def __str__(self) -> str:
        return f"Dispute round {self.round} of evaluation {self.evaluation_id}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    @property
    def is_overdue(self) -> bool:
        return self.decided_at is None and self.due_at <= timezone.now()


class DisputeItem(TenantModel):
    """One contested attribute of a dispute round: the agent's reason and proposed answer,
    and the reviewer's decision with a comment."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="items")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(**text_limit(LONG_TEXT))
    proposed_value = models.SmallIntegerField(null=True, blank=True)
    proposed_na = models.BooleanField(default=False)
    original = models.CharField(max_length=20, help_text="The answer disputed, as shown.")
    decision = models.CharField(max_length=8, choices=DisputeDecision.choices, blank=True)
    decided = models.CharField(max_length=20, blank=True, help_text="The answer decided.")
    comment = models.TextField(blank=True, **text_limit(LONG_TEXT))

    class Meta:
        ordering = ["dispute", "attribute__position", "attribute_id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "attribute"], name="disputeitem_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "decision"], name="disputeitem_org_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute} disputed in {self.dispute}"

    @property
    def proposed(self) -> str:
        """The agent's proposed answer as shown ("" when none)."""
        if self.proposed_na:
            return "N/A"
        if self.proposed_value is None:
            return ""
        if self.attribute.answer_type == AnswerType.YES_NO:
            return "Yes" if self.proposed_value else "No"
        return f"{self.proposed_value}/{self.attribute.scale_max}"


class CalibrationCandidate(TenantModel):
    """An evaluator or an attribute sent to calibration (from the dispute analytics), for a
    calibration session to take up."""

    subject = models.CharField(max_length=12, choices=CalibrationSubject.choices)
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    attribute_key = models.SlugField(max_length=100, blank=True)
    attribute_name = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=SHORT_TEXT, blank=True)
    evaluations = models.ManyToManyField(Evaluation, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    taken_at = models.DateTimeField(
        null=True, blank=True, help_text="When a calibration session took it up."
    )
    session = models.ForeignKey(
        "quality.CalibrationSession", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="candidates", help_text="The calibration session that took it up.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "evaluator"],
                condition=models.Q(subject="evaluator", taken_at__isnull=True),
                name="calibrationcandidate_one_open_evaluator",
            ),
            models.UniqueConstraint(
                fields=["organization", "attribute_key"],
                condition=models.Q(subject="attribute", taken_at__isnull=True),
                name="calibrationcandidate_one_open_attribute",
            ),
            models.CheckConstraint(
                condition=(models.Q(subject="evaluator", evaluator__isnull=False)
                           | models.Q(subject="attribute") & ~models.Q(attribute_key="")),
                name="calibrationcandidate_has_subject",
            ),
        ]

    def __str__(self) -> str:
        if self.subject == CalibrationSubject.EVALUATOR:
            return f"Calibrate evaluator {self.evaluator_id}"
        return f"Calibrate attribute {self.attribute_name or self.attribute_key}"


# --- calibration sessions --------------------------------------------------------------


class CalibrationSession(FSMModelMixin, TenantModel):
    """Evaluators score the same interactions blind with one scorecard version; the
    scores are revealed side by side, the lead sets the final answers and the agreement
    between the evaluators (and the automatic scorer) is recorded.

    Lifecycle ``scoring → revealed → finished`` (:class:`~.enums.CalibrationState`); every
    write goes through :mod:`quality.services.calibration`.
    """

    name = models.CharField(max_length=200)
    scorecard = models.ForeignKey(Scorecard, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who runs the session and sets the final answers.",
    )
    deadline = models.DateTimeField(help_text="Scores are revealed at the latest then.")
    state = FSMField(
        max_length=10, choices=CalibrationState.choices, default=CalibrationState.SCORING,
        protected=True,
    )
    notes = models.TextField(blank=True, **text_limit(LONG_TEXT))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revealed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "state", "deadline"],
                         name="calibration_org_state"),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(field=state, source=CalibrationState.SCORING, target=CalibrationState.REVEALED)
    def reveal(self) -> None:
        pass

    @transition(field=state, source=CalibrationState.REVEALED, target=CalibrationState.FINISHED)
    def finish(self) -> None:
        pass

    @property
    def is_blind(self) -> bool:
        """Before the reveal nobody sees anybody else's scores."""
        return self.state == CalibrationState.SCORING


class CalibrationItem(TenantModel):
    """One interaction of a calibration session, with why it was chosen."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE,
                                related_name="items")
    interaction = models.ForeignKey("work.WorkItem", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=10, choices=CalibrationSource.choices,
                              default=CalibrationSource.PICKED)
    source_evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The disputed or flagged evaluation that brought the interaction here.",
    )

    class Meta:
        ordering = ["session", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "interaction"],
                                    name="calibrationitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.session} #{self.position}"


class CalibrationParticipant(TenantModel):
    """An evaluator invited to a session; ``submitted_at`` once they scored every
    interaction."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE,
                                related_name="participants")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="quality_calibrations")
    invited_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "evaluator"],
                                    name="calibrationparticipant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} in {self.session}"


class CalibrationReference(TenantModel):
    """The final (reference) answer the lead set for one attribute of one interaction."""

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE,
                             related_name="references")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)
    na = models.BooleanField(default=False)
    note = models.TextField(blank=True, **text_limit(LONG_TEXT))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "attribute__position", "attribute_id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "attribute"],
                                    name="calibrationreference_unique"),
            models.CheckConstraint(
                condition=models.Q(na=True, value__isnull=True)
                | models.Q(na=False, value__isnull=False),
                name="calibrationreference_value_or_na",
            ),
        ]

    def __str__(self) -> str:
        return f"Final answer to {self.attribute} in {self.item}"

    @property
    def display(self) -> str:
        if self.na:
            return "N/A"
        if self.attribute.answer_type == AnswerType.YES_NO:
            return "Yes" if self.value else "No"
        return f"{self.value}/{self.attribute.scale_max}"


class CalibrationAgreement(TenantModel):
    """Agreement recorded for one attribute (``attribute_key``) or the whole evaluation
    (``attribute_key`` empty: the totals) of a session, when it was revealed and again when
    it finished. ``alpha`` is Krippendorff's α of the human evaluators with its bootstrap
    95 % interval; ``alpha_with_auto`` counts the automatic scorer as one more rater."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE,
                                related_name="agreements")
    attribute_key = models.SlugField(max_length=100, blank=True)
    attribute_name = models.CharField(max_length=150)
    level = models.CharField(max_length=10, help_text="nominal, ordinal or interval")
    alpha = models.FloatField(null=True, blank=True)
    alpha_low = models.FloatField(null=True, blank=True)
    alpha_high = models.FloatField(null=True, blank=True)
    alpha_with_auto = models.FloatField(null=True, blank=True)
    percent_agreement = models.FloatField(null=True, blank=True)
    units = models.PositiveIntegerField(default=0, help_text="Interactions with 2+ ratings.")
    ratings = models.PositiveIntegerField(default=0, help_text="Ratings in those interactions.")
    raters = models.PositiveIntegerField(default=0)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "attribute_key"]
        constraints = [
            models.UniqueConstraint(fields=["session", "attribute_key"],
                                    name="calibrationagreement_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "attribute_key", "recorded_at"],
                         name="calibrationagreement_drift"),
        ]

    def __str__(self) -> str:
        return f"α of {self.attribute_name} in {self.session_id}"


class CalibrationDeviation(TenantModel):
    """How far one rater (an evaluator, or the automatic scorer when ``evaluator`` is empty
    and ``is_auto``) was, in points of 100, from the final answers and from the other raters,
    for one attribute or (``attribute_key`` empty) the total."""

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE,
                                related_name="deviations")
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    is_auto = models.BooleanField(default=False)
    attribute_key = models.SlugField(max_length=100, blank=True)
    n = models.PositiveIntegerField(default=0)
    from_final = models.FloatField(null=True, blank=True,
                                   help_text="Mean |rater − final answer|, points of 100.")
    disagree_final = models.FloatField(null=True, blank=True,
                                       help_text="Share of answers unlike the final answer.")
    from_group = models.FloatField(null=True, blank=True,
                                   help_text="Mean |rater − the other raters' mean|, points.")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "is_auto", "evaluator", "attribute_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "evaluator", "attribute_key"],
                condition=models.Q(is_auto=False), name="calibrationdeviation_unique",
            ),
            models.UniqueConstraint(
                fields=["session", "attribute_key"], condition=models.Q(is_auto=True),
                name="calibrationdeviation_unique_auto",
            ),
            models.CheckConstraint(
                condition=models.Q(is_auto=True, evaluator__isnull=True)
                | models.Q(is_auto=False, evaluator__isnull=False),
                name="calibrationdeviation_one_rater",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "evaluator", "recorded_at"],
                         name="calibrationdeviation_drift"),
        ]

    def __str__(self) -> str:
        who = "automatic scorer" if self.is_auto else self.evaluator_id
        return f"Deviation of {who} in {self.session_id}"
