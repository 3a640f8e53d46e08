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


class ReviewState(models.TextChoices):
    """An audit's agent review, when the tenant turned on "Agent accept & dispute".

    ``released → pending_agent → accepted`` or ``→ pending_supervisor`` (disputed) ``→
    re_evaluated`` (the agent may accept, or dispute again until the round limit) ``→
    resolved``; a review the agent leaves past its window is ``closed``.
    """

    NONE = "", "Not under review"
    PENDING_AGENT = "pending_agent", "Pending agent review"
    ACCEPTED = "accepted", "Accepted"
    PENDING_SUPERVISOR = "pending_supervisor", "Pending supervisor review"
    RE_EVALUATED = "re_evaluated", "Re-evaluated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# The agent is to answer (accept or dispute); the review is over.
AWAITING_AGENT = (ReviewState.PENDING_AGENT, ReviewState.RE_EVALUATED)
REVIEW_FINISHED = (ReviewState.ACCEPTED, ReviewState.RESOLVED, ReviewState.CLOSED)


class DisputeDecision(models.TextChoices):
    UPHELD = "upheld", "Upheld"
    CHANGED = "changed", "Changed"


class CalibrationSubject(models.TextChoices):
    EVALUATOR = "evaluator", "Evaluator"
    ATTRIBUTE = "attribute", "Attribute"


class CalibrationState(models.TextChoices):
    """A calibration session: evaluators score blind (``scoring``); once everyone has
    scored or the deadline passed, all scores are shown side by side (``revealed``) and the
    lead sets the final answers; with those, agreement is recorded (``finished``)."""

    SCORING = "scoring", "Scoring (blind)"
    REVEALED = "revealed", "Revealed"
    FINISHED = "finished", "Finished"


class CalibrationSource(models.TextChoices):
    """Why an interaction is in a calibration session."""

    PICKED = "picked", "Picked"
    DISPUTED = "disputed", "Disputed evaluation"
    FLAGGED = "flagged", "Flagged by dispute analytics"


# Krippendorff's reading of α: at or above RELIABLE, data can be relied on; from
# TENTATIVE, only for tentative conclusions; below, unreliable.
ALPHA_RELIABLE = 0.8
ALPHA_TENTATIVE = 0.667
