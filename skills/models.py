"""Skills: the catalogue with its hierarchy, the level scale, who holds what, the history of
every change, work-item requirements and self-reviews.

Every write goes through :mod:`skills.services`; these classes only hold data, integrity
constraints and the review lifecycle's transitions.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django_fsm import FSMField, FSMModelMixin, transition

from tenancy.models import TenantModel
from tenancy.validation import LONG_TEXT, text_limit

from .enums import (
    ChangeKind,
    RecommendationState,
    RecommendationVerb,
    ReviewState,
    SkillType,
    Source,
)


class SkillLevel(TenantModel):
    """One step of the organization's ordered scale; a higher ``rank`` is a higher level."""

    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="skilllevel_unique_name",
                violation_error_message="A level with this name already exists.",
            ),
        ]
        indexes = [models.Index(fields=["organization", "rank"], name="skilllevel_org_rank")]

    def __str__(self) -> str:
        return self.name


class Skill(TenantModel):
    """A skill of the organization's catalogue, optionally below a parent skill."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    category = models.CharField(max_length=80, blank=True)
    skill_type = models.CharField(
        "type", max_length=20, choices=SkillType.choices, default=SkillType.TECHNICAL
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    active = models.BooleanField(default=True)
    recommendation_threshold = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Resolved items needing this skill before it is recommended to an agent; "
                  "empty uses the organization's default.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="skill_unique_name",
                violation_error_message="A skill with this name already exists.",
            ),
        ]
        indexes = [models.Index(fields=["organization", "name"], name="skill_org_name")]

    def __str__(self) -> str:
        return self.name


class UserSkill(TenantModel):
    """A skill a user holds, at one level of the scale. One row per user and skill."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="holders")
    level = models.ForeignKey(SkillLevel, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    acquired_at = models.DateTimeField(help_text="When the user first got this skill.")
    changed_at = models.DateTimeField(help_text="When the level last changed.")

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="userskill_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "user"], name="userskill_org_user"),
            models.Index(fields=["organization", "skill"], name="userskill_org_skill"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.skill} ({self.level})"


class SkillChange(TenantModel):
    """One line of the immutable history: a skill added, raised, lowered or removed.

    ``cause_type``/``cause_id`` point at what caused it (an assessment, a learning task, a
    recommendation, a review…) without this app importing the apps that own those rows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_changes"
    )
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    from_level = models.ForeignKey(
        SkillLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_level = models.ForeignKey(
        SkillLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    cause_type = models.CharField(max_length=40, blank=True)
    cause_id = models.PositiveBigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "user", "created_at"],
                         name="skillchange_org_user"),
            models.Index(fields=["organization", "cause_type", "cause_id"],
                         name="skillchange_org_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.skill}"

    def save(self, *args, **kwargs):
        # History is append-only: an existing line is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("Skill history is immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Skill history is immutable.")


class WorkItemSkill(TenantModel):
    """A skill a work item requires, optionally at a minimum level of the scale: the
    resolved form of ``work.RequestedSkill`` (the names as the source sent them).

    Owned here (work sits below skills and never imports it); its one writer is
    :meth:`skills.services.SkillCatalog.replace_requirements`, which work's ingest calls in
    its transaction.
    """

    work_item = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="required_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="work_requirements")
    minimum_level = models.ForeignKey(
        SkillLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The item's credited agent (``WorkItem.credited_to``) and whether it is resolved,
    # copied by database triggers on PostgreSQL (migration 0007): the recommender's
    # evidence of an (agent, skill) pair is an index range of exactly its rows there,
    # however long the agent's history. Not kept on SQLite (nothing reads them there).
    credited_to = models.BigIntegerField(null=True, blank=True, editable=False)
    done = models.BooleanField(default=False, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_item", "skill"],
                                    name="skills_workitemskill_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "skill"], name="skills_wis_org_skill"),
            models.Index(fields=["organization", "credited_to", "skill"],
                         name="skills_wis_evidence", condition=models.Q(done=True)),
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id} needs {self.skill}"


class SkillReview(FSMModelMixin, TenantModel):
    """An agent's request to add a skill, or raise its level, decided by their coach."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_reviews"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="reviews")
    level = models.ForeignKey(SkillLevel, on_delete=models.PROTECT, related_name="+")
    held_level = models.ForeignKey(
        SkillLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The level the agent held when asking.",
    )
    justification = models.TextField(**text_limit(LONG_TEXT))
    state = FSMField(max_length=20, choices=ReviewState.choices, default=ReviewState.REQUESTED,
                     protected=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True, **text_limit(LONG_TEXT))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "skill"], condition=models.Q(state=ReviewState.REQUESTED),
                name="skillreview_one_open_per_skill",
                violation_error_message="There is already an open request for this skill.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state"], name="skillreview_org_state"),
            models.Index(fields=["organization", "user"], name="skillreview_org_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} asks {self.skill} at {self.level}"

    @property
    def is_open(self) -> bool:
        return self.state == ReviewState.REQUESTED

    def _record_decision(self, decided_by, comment: str, when) -> None:
        self.decided_by = decided_by
        self.decision_comment = comment
        self.decided_at = when

    @transition(field=state, source=ReviewState.REQUESTED, target=ReviewState.APPROVED)
    def approve(self, *, decided_by, comment: str, when) -> None:
        self._record_decision(decided_by, comment, when)

    @transition(field=state, source=ReviewState.REQUESTED, target=ReviewState.REJECTED)
    def reject(self, *, decided_by, comment: str, when) -> None:
        self._record_decision(decided_by, comment, when)

    @transition(field=state, source=ReviewState.REQUESTED, target=ReviewState.WITHDRAWN)
    def withdraw(self, *, when) -> None:
        self.decided_at = when


class WorkItemPrediction(TenantModel):
    """A skill the recommender predicts an untagged resolved work item needed.

    ``neighbours`` is the explanation: ``[[work_item_id, similarity], …]`` of the tagged
    items, most similar first, whose skills gave the prediction.
    """

    work_item = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="skill_predictions"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="predictions")
    score = models.FloatField()
    neighbours = models.JSONField(default=list)
    # As on WorkItemSkill: kept by the database, the evidence index's columns.
    credited_to = models.BigIntegerField(null=True, blank=True, editable=False)
    done = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-score", "skill_id"]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "skill"],
                                    name="skills_prediction_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "skill"], name="skills_prediction_org_skill"),
            models.Index(fields=["organization", "credited_to", "skill"],
                         name="skills_pred_evidence", condition=models.Q(done=True)),
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id} probably needs {self.skill} ({self.score:.2f})"


class RecommenderIndex(TenantModel):
    """The organization's fitted text index (vectorizer + tagged items' vectors), pickled,
    so a resolution is scored with one query instead of a rebuild."""

    built_at = models.DateTimeField()
    item_count = models.PositiveIntegerField(default=0)
    blob = models.BinaryField()

    class Meta:
        verbose_name_plural = "recommender indexes"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="skills_recommenderindex_one"),
        ]

    def __str__(self) -> str:
        return f"Index of {self.item_count} items built {self.built_at:%Y-%m-%d %H:%M}"


class SkillRecommendation(FSMModelMixin, TenantModel):
    """The recommender's proposal that ``user`` should hold ``skill``, with its evidence.

    ``evidence`` lists the resolved items behind ``count``, most convincing first:
    ``[{"work_item": id, "external_id": …, "score": 0..1, "tagged": bool,
    "neighbours": [[id, similarity], …]}, …]`` (tagged items score 1).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_recommendations"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="recommendations")
    count = models.PositiveIntegerField()
    threshold = models.PositiveIntegerField()
    score = models.FloatField(help_text="Mean confidence of the evidence (tagged items are 1).")
    evidence = models.JSONField(default=list)
    state = FSMField(max_length=20, choices=RecommendationState.choices,
                     default=RecommendationState.PENDING, protected=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True, **text_limit(LONG_TEXT))
    # When the coaches' e-mail of a new recommendation went out (sent once, by a task).
    coaches_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "skill"],
                condition=models.Q(state__in=[RecommendationState.PENDING,
                                              RecommendationState.REJECTED]),
                name="skillrecommendation_one_open",
                violation_error_message="This skill is already recommended to this agent.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state"], name="skillrec_org_state"),
            # The recommendations list's order, a page at a time, with or without a state.
            models.Index(fields=["organization", "state", "-created_at", "-id"],
                         name="skillrec_org_state_list"),
            models.Index(fields=["organization", "-created_at", "-id"], name="skillrec_org_list"),
            models.Index(fields=["organization", "user"], name="skillrec_org_user"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} recommended to {self.user}"

    @property
    def is_pending(self) -> bool:
        return self.state == RecommendationState.PENDING

    @property
    def evidence_ids(self) -> list[str]:
        return [e["external_id"] for e in self.evidence]

    def _record_decision(self, decided_by, comment: str, when) -> None:
        self.decided_by, self.decision_comment, self.decided_at = decided_by, comment, when

    @transition(field=state, source=RecommendationState.PENDING,
                target=RecommendationState.APPROVED)
    def approve(self, *, decided_by, comment: str, when) -> None:
        self._record_decision(decided_by, comment, when)

    @transition(field=state, source=RecommendationState.PENDING,
                target=RecommendationState.REJECTED)
    def reject(self, *, decided_by, comment: str, when) -> None:
        self._record_decision(decided_by, comment, when)

    @transition(field=state, source=RecommendationState.PENDING,
                target=RecommendationState.SUPERSEDED)
    def supersede(self, *, when) -> None:
        self.decided_by, self.decided_at = None, when

    @transition(field=state, source=RecommendationState.REJECTED,
                target=RecommendationState.PENDING)
    def reopen(self) -> None:
        self.decided_by, self.decided_at, self.decision_comment = None, None, ""


class RecommendationActivity(TenantModel):
    """One line of a recommendation's activity stream."""

    recommendation = models.ForeignKey(
        SkillRecommendation, on_delete=models.CASCADE, related_name="activity"
    )
    verb = models.CharField(max_length=20, choices=RecommendationVerb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True, **text_limit(LONG_TEXT))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "recommendation activities"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["organization", "recommendation"], name="skillrecact_org_rec"),
        ]

    def __str__(self) -> str:
        return f"{self.get_verb_display()} at {self.at:%Y-%m-%d %H:%M}"
