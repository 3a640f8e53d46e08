"""Work items (incidents, cases, interactions…), the events that record every change to
them (the outbox), the record of which handler processed which event, and CSV imports.

Every write goes through :mod:`work.services`; these classes only hold data and integrity
constraints.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenancy.models import Team, TenantModel
from tenancy.validation import DOCUMENT_TEXT, text_limit

from .enums import EventType, ImportStatus, WorkKind, WorkState


class WorkItem(TenantModel):
    """One piece of work a source system sent us, identified by its ``external_id``."""

    kind = models.CharField(max_length=16, choices=WorkKind.choices)
    external_id = models.CharField("external ID", max_length=200)
    number = models.CharField(max_length=64, blank=True)
    short_description = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True, **text_limit(DOCUMENT_TEXT))
    state = models.CharField(max_length=16, choices=WorkState.choices, default=WorkState.NEW)
    priority = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 (critical) … 5 (planning).",
    )
    category = models.CharField(max_length=100, blank=True)
    subcategory = models.CharField(max_length=100, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_items",
        verbose_name="assignment group",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_work_items",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="resolved_work_items",
    )
    # Whom the item counts for: its resolver, else its assignee (the recommender counts
    # resolved work by it). The database computes it on every write, whatever the path
    # (ingest, bulk updates, retention clearing people), so it cannot drift; a stored
    # column, not an expression index, because row-level security keeps a COALESCE out of
    # index conditions (not leakproof) while ``credited_to = %s`` is served by
    # ``workitem_org_credited``.
    credited_to = models.GeneratedField(
        expression=Coalesce("resolved_by", "assigned_to"),
        output_field=models.BigIntegerField(null=True, blank=True), db_persist=True,
        null=True, verbose_name="credited to (user id)",
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reassignment_count = models.PositiveIntegerField(default=0)
    reopen_count = models.PositiveIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    sla_breached = models.BooleanField("SLA breached", default=False)
    handle_time_seconds = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=50, blank=True)
    queue = models.CharField(max_length=100, blank=True, help_text="Contact-center queue.")
    topic = models.CharField(
        "topic / intent", max_length=200, blank=True,
        help_text="What the customer contacted us about.",
    )
    sentiment = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-1), MaxValueValidator(1)],
        help_text="−1 (negative) … 1 (positive).",
    )
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"], name="workitem_unique_external_id"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__isnull=True) | models.Q(priority__range=(1, 5)),
                name="workitem_priority_range",
            ),
            models.CheckConstraint(
                condition=models.Q(sentiment__isnull=True) | models.Q(sentiment__range=(-1, 1)),
                name="workitem_sentiment_range",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "updated_at", "id"], name="workitem_org_updated"),
            models.Index(fields=["organization", "opened_at"], name="workitem_org_opened"),
            # The Work list's order (opened_at DESC NULLS LAST, id DESC) has its index in
            # migration 0006 on PostgreSQL only: SQLite refuses NULLS LAST in an index (and
            # sorts NULLs last in DESC anyway), and would re-create a Meta index on every
            # table rebuild.
            models.Index(fields=["organization", "kind", "state"], name="workitem_org_kind_state"),
            models.Index(fields=["organization", "assigned_to"], name="workitem_org_assignee"),
            models.Index(fields=["organization", "credited_to", "state"],
                         name="workitem_org_credited"),
            models.Index(fields=["organization", "team"], name="workitem_org_team"),
            models.Index(fields=["organization", "queue"], name="workitem_org_queue",
                         condition=~models.Q(queue="")),
        ]

    def __str__(self) -> str:
        label = self.number or self.external_id
        return f"{label}: {self.short_description}" if self.short_description else label

    @property
    def label(self) -> str:
        return self.number or self.external_id


class RequestedSkill(TenantModel):
    """A skill the source system said the work item requires, as it was sent.

    Keyed by the skill's *name*, because the skills app sits above ``work`` in the layering
    and ``work`` may never reference it; ingest compares these rows to record changes, and
    the API returns them. The resolved requirement (a catalogue skill and a minimum level)
    is the skills app's ``skills.WorkItemSkill``, written by the catalogue that app plugs
    into ingest through :data:`work.extensions.skill_catalog`. ``minimum_level`` is the
    rank on the tenant's level scale, or empty when any level will do.
    """

    work_item = models.ForeignKey(
        WorkItem, on_delete=models.CASCADE, related_name="requested_skills"
    )
    skill_name = models.CharField(max_length=150)
    minimum_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["skill_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_item", "skill_name"], name="requestedskill_unique_skill"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "skill_name"], name="requestedskill_org_skill"),
        ]

    def __str__(self) -> str:
        if self.minimum_level is None:
            return self.skill_name
        return f"{self.skill_name} (level ≥ {self.minimum_level})"


class Transcript(TenantModel):
    """What was said in an interaction (a call, chat or e-mail), turn by turn.

    ``turns`` is the list the API takes and returns: ``{"speaker": "agent" | "customer" |
    "system", "text": "…", "at": <seconds from the start, optional>}``, in the order they
    were said; a turn's index in the list is how evaluations cite it as evidence. Kept out
    of ``WorkItem`` so lists of work never load it. Written only by ingest
    (:mod:`work.services`), in the transaction of the item's change.
    """

    work_item = models.OneToOneField(
        WorkItem, on_delete=models.CASCADE, related_name="transcript"
    )
    turns = models.JSONField(default=list)
    turn_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "updated_at"], name="transcript_org_updated"),
        ]

    def __str__(self) -> str:
        return f"Transcript of {self.work_item_id} ({self.turn_count} turns)"


class WorkEvent(TenantModel):
    """One change to a work item, written in the same transaction as the change (outbox).

    ``changes`` maps each changed field to ``[old, new]`` (users by username, the team by
    name, dates in ISO 8601). ``processed_at`` is set once every registered handler has
    run; the sweeper re-dispatches events whose ``dispatched_at`` is older than a minute.
    ``attempts`` counts the worker's tries; after a failed one ``last_error`` says why and
    ``retry_at`` when the sweeper may send the event again (exponential backoff), until
    ``WORK_EVENT_MAX_ATTEMPTS`` tries have failed and an operator has to look.
    """

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=EventType.choices)
    changes = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatched_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatch_count = models.PositiveIntegerField(default=1, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0, editable=False)
    retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "work_item"], name="workevent_org_item"),
            models.Index(
                fields=["dispatched_at"], name="workevent_unprocessed",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.work_item_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class HandlerRun(TenantModel):
    """Proof that one handler processed one event; the unique key keeps it to once."""

    event = models.ForeignKey(WorkEvent, on_delete=models.CASCADE, related_name="handler_runs")
    handler = models.CharField(max_length=100)
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ran_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="handlerrun_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} on event {self.event_id}"


def _import_path(work_import: "WorkImport", filename: str) -> str:
    return f"work-imports/{work_import.organization_id}/{uuid.uuid4().hex}.csv"


class WorkImport(TenantModel):
    """A CSV file uploaded in the browser and imported by a Celery job, all or nothing.

    The row and the file (under ``MEDIA_ROOT``, which web and workers share) are saved
    before the job is enqueued, so a broker outage delays the import but never loses it:
    the sweeper re-sends queued imports. The file is deleted when the job finishes.
    """

    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to=_import_path, max_length=255, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0)
    create_missing = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatched_at = models.DateTimeField(default=timezone.now, editable=False)
    dispatch_count = models.PositiveIntegerField(default=1, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "created_at"], name="workimport_org_created")
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED)
