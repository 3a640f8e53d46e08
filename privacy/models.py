"""Personal data: who looked at an agent's data, and the requests made about a person.

Both tables are append-only records. An :class:`AccessRecord` is written whenever someone
other than the agent views one agent's personal data (evaluations, transcripts,
assessments, plans, disputes, the skills page), through a page or the API. A
:class:`PersonalDataRequest` records a subject access export or an erasure.
"""

from django.conf import settings
from django.db import models

from tenancy.models import TenantModel


class AccessKind(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    TRANSCRIPT = "transcript", "Transcript"
    ASSESSMENT = "assessment", "Coaching assessment"
    PLAN = "plan", "Coaching plan"
    DISPUTE = "dispute", "Dispute"
    SKILLS = "skills", "Skills page"
    ASSIGNMENT = "assignment", "Coaching assignment"
    OVERVIEW = "overview", "Agent overview"


class AccessChannel(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    EXPORT = "export", "Export"


class AccessRecord(TenantModel):
    """One view of one agent's personal data by someone else (append-only)."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
        help_text="The agent whose data was viewed (empty once erased).",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", help_text="Who viewed it (empty for an organization API token).",
    )
    viewer_label = models.CharField(
        max_length=200, help_text="The viewer's name (or the token's name) at the time.",
    )
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    channel = models.CharField(max_length=10, choices=AccessChannel.choices,
                               default=AccessChannel.PAGE)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    path = models.CharField(max_length=500, blank=True)
    viewed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-viewed_at", "-pk"]
        indexes = [models.Index(fields=["organization", "subject", "-viewed_at"],
                                name="privacy_access_subject_idx")]

    def __str__(self) -> str:
        return f"{self.viewer_label} viewed {self.get_kind_display()} {self.object_label}"


class RequestKind(models.TextChoices):
    EXPORT = "export", "Subject access export"
    ERASURE = "erasure", "Erasure"
    RETENTION = "retention", "Retention run"


class PersonalDataRequest(TenantModel):
    """A recorded export, erasure or retention run (the audit trail of privacy actions)."""

    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    subject_label = models.CharField(max_length=200, blank=True,
                                     help_text="Who it was about (a pseudonym after erasure).")
    requested_by = models.CharField(max_length=200,
                                    help_text="Who ran it: a user, a command or the nightly task.")
    dry_run = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True,
                               help_text="What was exported, removed or anonymised, per kind.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_label} ({self.created_at:%Y-%m-%d})"
