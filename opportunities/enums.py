"""Choices of coaching opportunities and their match log."""

from django.db import models


class FiresOn(models.TextChoices):
    CREATE = "create", "When a work item is created"
    UPDATE = "update", "When a work item is updated"
    RESOLVE = "resolve", "When a work item is resolved"
    CLOSE = "close", "When a work item is closed"
    ANY = "any", "On any change"


# Which work-event types each choice listens to (a reopening is an update).
FIRES_ON_EVENTS = {
    FiresOn.CREATE: frozenset({"created"}),
    FiresOn.UPDATE: frozenset({"updated", "reopened"}),
    FiresOn.RESOLVE: frozenset({"resolved"}),
    FiresOn.CLOSE: frozenset({"closed"}),
    FiresOn.ANY: frozenset({"created", "updated", "resolved", "closed", "reopened"}),
}


class CoachChoice(models.TextChoices):
    TEAM_MANAGER = "team_manager", "The manager of the agent's team"
    NAMED = "named", "A named coach"
    ROUND_ROBIN = "round_robin", "Round robin among the team's coaches"


class MatchOutcome(models.TextChoices):
    FIRED = "fired", "Assessment opened"
    SUPPRESSED = "suppressed", "Suppressed (recent assessment)"
    SAMPLED_OUT = "sampled_out", "Sampled out"
    EXEMPT = "exempt", "Agent is new (exempt)"
    NO_AGENT = "no_agent", "No agent on the work item"
    NO_COACH = "no_coach", "No coach found"  # before the backlog: nothing was opened
    UNASSIGNED = "unassigned", "Opened without a coach (in the backlog)"
