"""Choices shared by the survey models, forms and API."""

from django.db import models


class Audience(models.TextChoices):
    COACH_ABOUT_TRAINEE = "coach_about_trainee", "Coach about trainee"
    TRAINEE_ABOUT_COACH = "trainee_about_coach", "Trainee about coach"
    GENERAL = "general", "General"


class QuestionKind(models.TextChoices):
    RATING = "rating", "Rating scale"
    YES_NO = "yes_no", "Yes / no"
    CHOICE = "choice", "Single choice"
    TEXT = "text", "Free text"


class ResponseState(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"


# The raw value a respondent sends for "not applicable".
NOT_APPLICABLE = "na"

# Organization.settings["surveys"] keys and their defaults.
REMIND_AFTER_DAYS_DEFAULT = 3
DUE_AFTER_DAYS_DEFAULT = 14
ANONYMOUS_DEFAULT = True

# A trainee-about-coach result is shown only as an aggregate over at least this many
# responses, so no single trainee's answer can be read off it.
MIN_AGGREGATE_RESPONSES = 3
