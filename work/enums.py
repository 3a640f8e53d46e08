"""Choices shared by work items, their events and imports."""

from django.db import models


class WorkKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    CHANGE = "change", "Change"
    REQUEST = "request", "Request"
    CASE = "case", "Case"
    CALL = "call", "Call"
    CHAT = "chat", "Chat"
    EMAIL = "email", "E-mail"


class WorkState(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = frozenset({WorkState.NEW, WorkState.IN_PROGRESS, WorkState.ON_HOLD})
DONE_STATES = frozenset({WorkState.RESOLVED, WorkState.CLOSED})


class Speaker(models.TextChoices):
    """Who said a turn of an interaction's transcript."""

    AGENT = "agent", "Agent"
    CUSTOMER = "customer", "Customer"
    SYSTEM = "system", "System"


INTERACTION_KINDS = frozenset({WorkKind.CALL, WorkKind.CHAT, WorkKind.EMAIL})


class EventType(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
