"""Choices of the routing settings and decisions."""

from django.db import models


class NobodyQualifies(models.TextChoices):
    FLAG = "flag", "Leave it unassigned and flag it"
    BEST_PARTIAL = "best_partial", "Assign the best partial match (marked as such)"


class Pool(models.TextChoices):
    TEAM = "team", "Members of the item's team"
    ALL_AGENTS = "all_agents", "Every agent of the organization"


class Outcome(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    PARTIAL = "partial", "Assigned to a partial match"
    FLAGGED = "flagged", "Nobody qualified: left unassigned"
    REFUSED = "refused", "Could not be routed"


class Trigger(models.TextChoices):
    AUTO = "auto", "Auto-assign"
    API = "api", "API"
    MANUAL = "manual", "Coach"
