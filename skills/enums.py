"""Choices shared by the skills models, services, forms and API."""

from django.db import models


class Source(models.TextChoices):
    """Where a skill change came from."""

    MANUAL = "manual", "Manual edit"
    ASSESSMENT = "assessment", "Assessment"
    LEARNING = "learning", "Learning"
    RECOMMENDATION = "recommendation", "Recommendation"
    REVIEW = "review", "Self-review"
    IMPORT = "import", "Import"


class SkillType(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    PRODUCT = "product", "Product"
    PROCESS = "process", "Process"
    SOFT = "soft", "Soft skill"
    LANGUAGE = "language", "Language"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Added"
    RAISED = "raised", "Raised"
    LOWERED = "lowered", "Lowered"
    REMOVED = "removed", "Removed"


class ReviewState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


DEFAULT_LEVELS = ["Novice", "Intermediate", "Advanced", "Expert"]


class RecommendationState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"


class RecommendationVerb(models.TextChoices):
    """What happened to a recommendation, as its activity stream shows it."""

    CREATED = "created", "Recommended"
    UPDATED = "updated", "Evidence updated"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REOPENED = "reopened", "Reopened"
    SUPERSEDED = "superseded", "Superseded"
