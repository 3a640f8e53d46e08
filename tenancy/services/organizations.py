"""Creating and changing organizations (tenants)."""

from django.db import transaction
from django_scopes import scope

from ..enums import Role
from ..models import Organization, User
from .accounts import create_account, grant_staff
from .members import add_member


@transaction.atomic
def create_organization(
    *,
    name: str,
    slug: str,
    timezone: str = "UTC",
    weekend_days: list[int] | None = None,
    admin: User | None = None,
) -> Organization:
    """Create an organization and, when given, make ``admin`` its first org admin.

    Validates everything before writing, so a bad slug leaves nothing behind.
    """
    organization = Organization(name=name, slug=slug, timezone=timezone,
                                settings={"teams": {"learn_from_work": True}})
    if weekend_days is not None:
        organization.weekend_days = weekend_days
    organization.full_clean()
    organization.save()
    if admin is not None:
        with scope(organization=organization):
            add_member(organization=organization, user=admin, roles=[Role.ORG_ADMIN])
    return organization


@transaction.atomic
def set_up_organization(
    *, name: str, slug: str, timezone: str, admin_email: str
) -> tuple[Organization, User]:
    """What an operator's ``create_org`` does: the organization and its first org admin.

    The admin is the account with that e-mail address, or a new one named after it (which
    cannot sign in until its owner sets a password); either way it gets the Django admin
    (staff status). All or nothing.
    """
    admin = User.objects.filter(email__iexact=admin_email.strip()).first()
    if admin is None:
        admin = create_account(username=admin_email.strip(), email=admin_email, is_staff=True)
    else:
        grant_staff(user=admin)
    organization = create_organization(name=name, slug=slug, timezone=timezone, admin=admin)
    return organization, admin


@transaction.atomic
def update_organization(
    *, organization: Organization, name: str, timezone: str, weekend_days: list[int],
    learn_team_membership: bool | None = None, pseudonymise_peers: bool | None = None,
) -> Organization:
    """Save the organization's settings; ``learn_team_membership`` (``None``: unchanged)
    is "learn team membership from work", ``pseudonymise_peers`` (``None``: unchanged)
    "show peers as pseudonyms on team pages" (:mod:`tenancy.pseudonyms`). Locks the row
    so a concurrent save of another settings key is not lost."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    locked.name = name
    locked.timezone = timezone
    locked.weekend_days = sorted(weekend_days)
    if learn_team_membership is not None:
        settings = dict(locked.settings or {})
        settings["teams"] = {**(settings.get("teams") or {}),
                             "learn_from_work": bool(learn_team_membership)}
        locked.settings = settings
    if pseudonymise_peers is not None:
        settings = dict(locked.settings or {})
        settings["privacy"] = {**(settings.get("privacy") or {}),
                               "pseudonymise_peers": bool(pseudonymise_peers)}
        locked.settings = settings
    locked.full_clean()
    locked.save(update_fields=["name", "timezone", "weekend_days", "settings"])
    organization.name, organization.timezone = locked.name, locked.timezone
    organization.weekend_days, organization.settings = locked.weekend_days, locked.settings
    return organization
