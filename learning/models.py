"""Learning: catalogs of course items, the skills a course grants, and learning tasks.

Every write goes through :mod:`learning.services`; these classes hold data, integrity
constraints and the task lifecycle's transitions. Which coaching assessment asked for a
task is coaching's to record (it sits above this app); learning shows it through
:data:`learning.extensions.task_origins`.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models.functions import Lower
from django_fsm import FSMField, FSMModelMixin, transition

from tenancy.models import TenantModel
from tenancy.validation import DOCUMENT_TEXT, LONG_TEXT, text_limit

from .enums import (
    INTERNAL_SOURCES,
    OPEN_STATES,
    SOURCES_WITH_BODY,
    SOURCES_WITH_URL,
    ContentSource,
    Provider,
    TaskState,
)

http_url_validator = URLValidator(
    schemes=["http", "https"],
    message="Enter a web address starting with http:// or https://.",
)


class LearningCatalog(TenantModel):
    """A named shelf of course items, shown to the coaches and agents of its teams.

    A catalog without applicable teams is open to the whole organization.
    """

    title = models.CharField(max_length=150)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    teams = models.ManyToManyField(
        "tenancy.Team", through="CatalogTeam", related_name="learning_catalogs", blank=True,
    )
    courses = models.ManyToManyField(
        "CourseItem", through="CatalogCourse", related_name="catalogs", blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("title"), name="learningcatalog_unique_title",
                violation_error_message="A catalog with this title already exists.",
            ),
        ]
        indexes = [models.Index(fields=["organization", "title"], name="catalog_org_title")]

    def __str__(self) -> str:
        return self.title


class CourseItem(TenantModel):
    """One piece of learning content: internal (link, article, free form) or external."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, **text_limit(LONG_TEXT))
    source = models.CharField(max_length=20, choices=ContentSource.choices)
    provider = models.CharField(max_length=20, choices=Provider.choices, blank=True)
    url = models.URLField(
        "web address", max_length=500, blank=True, validators=[http_url_validator]
    )
    body = models.TextField(
        blank=True, help_text="Sanitised HTML of an article or free-form course.",
        **text_limit(DOCUMENT_TEXT),
    )
    days_to_complete = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    estimated_minutes = models.PositiveIntegerField(
        "estimated duration (minutes)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["organization", "title"], name="courseitem_org_title")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=ContentSource.EXTERNAL) | ~models.Q(provider=""),
                name="courseitem_external_has_provider",
                violation_error_message="Choose the provider of an external course.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_internal(self) -> bool:
        return self.source in INTERNAL_SOURCES

    @property
    def has_url(self) -> bool:
        return self.source in SOURCES_WITH_URL

    @property
    def has_body(self) -> bool:
        return self.source in SOURCES_WITH_BODY

    @property
    def kind_label(self) -> str:
        if self.source == ContentSource.EXTERNAL:
            return f"External · {self.get_provider_display()}"
        return {ContentSource.URL: "Video or page", ContentSource.ARTICLE: "Article",
                ContentSource.FREE_FORM: "Free form"}[self.source]

    @property
    def estimated_duration(self) -> datetime.timedelta | None:
        if self.estimated_minutes is None:
            return None
        return datetime.timedelta(minutes=self.estimated_minutes)


class CatalogCourse(TenantModel):
    catalog = models.ForeignKey(LearningCatalog, on_delete=models.CASCADE,
                                related_name="course_links")
    course = models.ForeignKey(CourseItem, on_delete=models.CASCADE, related_name="catalog_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["catalog", "course"], name="catalogcourse_unique"),
        ]
        indexes = [models.Index(fields=["organization", "course"], name="catalogcourse_org_course")]

    def __str__(self) -> str:
        return f"{self.course} in {self.catalog}"


class CatalogTeam(TenantModel):
    catalog = models.ForeignKey(LearningCatalog, on_delete=models.CASCADE,
                                related_name="team_links")
    team = models.ForeignKey("tenancy.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["catalog", "team"], name="catalogteam_unique"),
        ]
        indexes = [models.Index(fields=["organization", "team"], name="catalogteam_org_team")]

    def __str__(self) -> str:
        return f"{self.catalog} for {self.team}"


class CourseSkill(TenantModel):
    """A skill a course grants on completion, at a level of the tenant's scale."""

    course = models.ForeignKey(CourseItem, on_delete=models.CASCADE, related_name="granted_skills")
    skill = models.ForeignKey("skills.Skill", on_delete=models.CASCADE, related_name="+")
    level = models.ForeignKey("skills.SkillLevel", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "skill"], name="courseskill_unique"),
        ]
        indexes = [models.Index(fields=["organization", "skill"], name="courseskill_org_skill")]

    def __str__(self) -> str:
        return f"{self.course} grants {self.skill} ({self.level})"


class LearningTask(FSMModelMixin, TenantModel):
    """One course assigned to one person, with a due date and a lifecycle."""

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_tasks"
    )
    course_item = models.ForeignKey(CourseItem, on_delete=models.PROTECT, related_name="tasks")
    catalog = models.ForeignKey(
        LearningCatalog, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    due_date = models.DateField(help_text="Last day to complete it, in the tenant's timezone.")
    state = FSMField(max_length=20, choices=TaskState.choices, default=TaskState.ASSIGNED,
                     protected=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # The due date each reminder was sent for: a changed due date may be reminded again,
    # the same one never twice.
    due_soon_reminded_for = models.DateField(null=True, blank=True, editable=False)
    overdue_reminded_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assigned_to", "course_item"],
                condition=models.Q(state__in=OPEN_STATES),
                name="learningtask_one_open_per_course",
                violation_error_message="This person already has this course open.",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "assigned_to", "state"],
                         name="learningtask_org_user_state"),
            models.Index(fields=["organization", "state", "due_date"],
                         name="learningtask_org_state_due"),
            # The task list's order (soonest due first), a page at a time.
            models.Index(fields=["organization", "due_date", "id"], name="learningtask_org_list"),
        ]

    def __str__(self) -> str:
        return f"{self.course_item} for {self.assigned_to}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @transition(field=state, source=TaskState.ASSIGNED, target=TaskState.IN_PROGRESS)
    def start(self, *, when) -> None:
        self.started_at = when

    @transition(field=state, source=TaskState.IN_PROGRESS, target=TaskState.COMPLETED)
    def complete(self, *, when) -> None:
        self.completed_at = when

    @transition(field=state, source=list(OPEN_STATES), target=TaskState.CANCELLED)
    def cancel(self, *, by, when) -> None:
        self.cancelled_by = by
        self.cancelled_at = when
