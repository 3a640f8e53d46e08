"""The record of every routing decision, kept on the work item it was made for.

Settings live in ``Organization.settings["routing"]`` (see :mod:`routing.settings`);
skill holdings are always read fresh from ``skills.UserSkill``, never cached here.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.models import TenantModel

from .enums import Outcome, Trigger


class RoutingDecision(TenantModel):
    """One decision: who was considered (with scores and reasons), who got it, and why.

    ``candidates`` holds the ranking as the API returns it: a list of
    ``{"agent", "score", "qualified", "reasons"}`` in rank order.
    """

    work_item = models.ForeignKey(
        "work.WorkItem", on_delete=models.CASCADE, related_name="routing_decisions"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(max_length=500)
    candidates = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "work_item", "created_at"],
                         name="routingdecision_org_item"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for work item {self.work_item_id}"

    @property
    def flagged(self) -> bool:
        return self.outcome == Outcome.FLAGGED
