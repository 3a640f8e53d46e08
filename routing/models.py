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


class AgentRoutingState(TenantModel):
    """When an agent was last assigned work in this organization: the time of the latest
    work event that assigned an item to them (any kind), as routing ranks by it.

    Kept up to date in the ingest transaction of every assignment
    (:func:`routing.services.record_work_item_writes`), so a decision never reads work
    history; :func:`routing.services.rebuild_routing_state` recomputes it from the events.
    No row: never assigned.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"],
                                    name="agentroutingstate_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} last assigned {self.last_assigned_at}"


class AgentOpenItems(TenantModel):
    """How many open items of one kind are assigned to an agent (capacity is per kind).

    Kept up to date with ``open_items = open_items ± n`` in the ingest transaction of every
    change of an item's assignee, kind or state (:func:`routing.services
    .record_work_item_writes`); no row: none.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    kind = models.CharField(max_length=16)
    open_items = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "agent open items"
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "kind"],
                                    name="agentopenitems_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.open_items} open {self.kind}"
