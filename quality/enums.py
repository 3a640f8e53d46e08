"""Choices shared by scorecards, evaluations and the quality pages."""

from django.db import models


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", "Yes / no"
    SCALE = "scale", "Scale 0–N"


class EvaluationKind(models.TextChoices):
    AUTO = "auto", "Automatic"
    MANUAL = "manual", "Audit"
    CALIBRATION = "calibration", "Calibration"


class EvaluationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RELEASED = "released", "Released"


class ReleaseMode(models.TextChoices):
    ON_SUBMIT = "on_submit", "When the audit is submitted"
    AFTER_DELAY = "after_delay", "After a delay"


# Evaluations that count toward agents' scores (rollups, dashboards). Calibration
# evaluations never do; drafts are not finished.
COUNTED_KINDS = (EvaluationKind.AUTO, EvaluationKind.MANUAL)
COUNTED_STATES = (EvaluationState.SUBMITTED, EvaluationState.RELEASED)

# The key of the whole-evaluation row in ScoreRollup (attributes use their own key).
TOTAL_KEY = ""
