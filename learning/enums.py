"""Choices shared by the learning models, services, forms and API."""

from django.db import models


class TaskState(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS)


class ContentSource(models.TextChoices):
    """Where a course's content lives: three internal kinds, or an external provider."""

    URL = "url", "Internal: video or page link"
    ARTICLE = "article", "Internal: knowledge article"
    FREE_FORM = "free_form", "Internal: free form"
    EXTERNAL = "external", "External provider"


INTERNAL_SOURCES = (ContentSource.URL, ContentSource.ARTICLE, ContentSource.FREE_FORM)
SOURCES_WITH_URL = (ContentSource.URL, ContentSource.EXTERNAL)
SOURCES_WITH_BODY = (ContentSource.ARTICLE, ContentSource.FREE_FORM)


class Provider(models.TextChoices):
    UDEMY = "udemy", "Udemy"
    PLURALSIGHT = "pluralsight", "Pluralsight"
    CORNERSTONE = "cornerstone", "Cornerstone"
    OTHER = "other", "Other"


class DueStatus(models.TextChoices):
    """How an open task's due date reads today (in the tenant's timezone)."""

    OVERDUE = "overdue", "Overdue"
    TODAY = "today", "Due today"
    LATER = "later", "Due later"
    CLOSED = "closed", "Closed"


# The organization setting (Organization.settings) that skips weekend days in due dates.
EXCLUDE_WEEKENDS_SETTING = "learning_exclude_weekends"
