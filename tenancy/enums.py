"""Roles a member can hold in an organization."""

from django.db import models


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organization admin"
    COACH = "coach", "Coach"
    QA_ANALYST = "qa_analyst", "QA analyst"
    SKILL_ADMIN = "skill_admin", "Skill admin"
    LEARNING_ADMIN = "learning_admin", "Learning admin"
    AGENT = "agent", "Agent"


# Roles that open the manager workspace; everyone else lands in "My coaching".
MANAGER_ROLES = frozenset(
    {Role.ORG_ADMIN, Role.COACH, Role.QA_ANALYST, Role.SKILL_ADMIN, Role.LEARNING_ADMIN}
)

# Roles that may manage (or co-manage) a team, and so coach and approve for its agents.
TEAM_MANAGER_ROLES = frozenset({Role.ORG_ADMIN, Role.COACH})

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
