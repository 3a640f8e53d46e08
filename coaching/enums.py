"""Choices of coaching assessments."""

from django.db import models


class AssessmentState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED_COMPLETE = "closed_complete", "Closed complete"
    CLOSED_INCOMPLETE = "closed_incomplete", "Closed incomplete"


OPEN_STATES = (AssessmentState.OPEN, AssessmentState.IN_PROGRESS, AssessmentState.RESOLVED)
CLOSED_STATES = (AssessmentState.CLOSED_COMPLETE, AssessmentState.CLOSED_INCOMPLETE)


class Origin(models.TextChoices):
    MANUAL = "manual", "Opened by a coach"
    OPPORTUNITY = "opportunity", "Opened by an opportunity"
    VIRTUAL_COACH = "virtual_coach", "Completed by a virtual coach"
