"""Template context for the workspace shell: current organization, roles, org switcher, nav."""

from .navigation import entries_for, menu_for
from .selectors import memberships_of_user


def workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_org": getattr(request, "organization", None),
        "current_membership": membership,
        "is_manager": bool(membership and membership.is_manager),
        # Callables: evaluated only when a template uses them.
        "org_memberships": lambda: list(memberships_of_user(user)),
        "manager_nav": lambda: entries_for(request, "manager"),
        "manager_menu": lambda: menu_for(request, "manager"),
        "agent_nav": lambda: entries_for(request, "agent"),
    }
