"""Permission predicates for roles and coaching relationships.

Predicates read the current organization from the object they are given when it has one
(``obj.organization``), otherwise from the organization the middleware activated
(``user._current_organization``), otherwise from the active tenant scope (services and
tasks). Who coaches whom is :func:`tenancy.selectors.coachable_agents`; the predicates here
only ask it.
"""

import rules
from django_scopes import get_scope

from .enums import Role
from .models import Organization
from .selectors import coachable_agents, membership_for


def _organization_of(user, obj) -> Organization | None:
    if isinstance(obj, Organization):
        return obj
    organization = getattr(obj, "organization", None)
    if isinstance(organization, Organization):
        return organization
    current = getattr(user, "_current_organization", None)
    if current is not None:
        return current
    scoped = get_scope().get("organization")
    return scoped if isinstance(scoped, Organization) else None


def has_role(role: str):
    @rules.predicate(name=f"has_role_{role}")
    def predicate(user, obj=None) -> bool:
        organization = _organization_of(user, obj)
        if organization is None:
            return False
        membership = membership_for(user, organization)
        return membership is not None and membership.has_role(role)

    return predicate


is_org_admin = has_role(Role.ORG_ADMIN)
is_coach = has_role(Role.COACH)
is_qa_analyst = has_role(Role.QA_ANALYST)
is_skill_admin = has_role(Role.SKILL_ADMIN)
is_learning_admin = has_role(Role.LEARNING_ADMIN)
is_agent = has_role(Role.AGENT)


@rules.predicate
def is_member(user, obj=None) -> bool:
    organization = _organization_of(user, obj)
    return organization is not None and membership_for(user, organization) is not None


@rules.predicate
def is_self(user, other) -> bool:
    return other is not None and getattr(other, "pk", None) == user.pk


@rules.predicate
def is_coach_of(user, agent) -> bool:
    """The user may coach the agent: they hold the coach role and manage (or additionally
    manage) a team the agent belongs to, in the current organization."""
    if agent is None or not user.is_authenticated:
        return False
    organization = _organization_of(user, agent)
    if organization is None:
        return False
    return coachable_agents(organization, user).filter(user_id=agent.pk).exists()


is_manager = is_org_admin | is_coach | is_qa_analyst | is_skill_admin | is_learning_admin

rules.add_perm("tenancy.view_manager_workspace", is_manager)
rules.add_perm("tenancy.view_agent_workspace", is_member)
rules.add_perm("tenancy.manage_organization", is_org_admin)
rules.add_perm("tenancy.view_coaching_of", is_self | is_coach_of | is_org_admin)
