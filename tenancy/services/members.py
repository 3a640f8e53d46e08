"""Memberships: who belongs to an organization and with which roles.

Whoever stops holding a role that may manage a team (coach, org admin) stops managing
teams at the same moment, so a demoted manager never keeps approving through an old
team relation.
"""

from collections.abc import Iterable

from django.db import transaction

from ..enums import TEAM_MANAGER_ROLES, Role
from ..models import Membership, Organization, Team, TeamManager, TeamMember, User
from .errors import TenancyError


def _clean_roles(roles: Iterable[str], *, missing: str) -> list[str]:
    try:
        cleaned = sorted({Role(r).value for r in roles})
    except ValueError as error:
        raise TenancyError(f"Unknown role: {error}.") from None
    if not cleaned:
        raise TenancyError(missing)
    return cleaned


def _lock_org_admins(organization_id: int) -> None:
    """Serialise changes that could leave an organization without an org admin."""
    list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organization_id=organization_id, is_org_admin=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _ensure_another_admin(membership: Membership) -> None:
    others = (
        Membership.objects.filter(organization_id=membership.organization_id, is_org_admin=True)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise TenancyError("An organization needs at least one organization admin.")


def _is_org_admin_now(membership: Membership) -> bool:
    return Membership.objects.filter(pk=membership.pk, is_org_admin=True).exists()


def validate_member_roles(*, membership: Membership, roles: Iterable[str]) -> list[str]:
    """The roles, cleaned; raises if ``membership`` may not hold exactly these roles."""
    cleaned = _clean_roles(
        roles, missing="A member needs at least one role; remove the member instead."
    )
    if Role.ORG_ADMIN not in cleaned and _is_org_admin_now(membership):
        _ensure_another_admin(membership)
    return cleaned


def validate_member_removal(*, membership: Membership) -> None:
    """Raise if removing ``membership`` would leave the organization without an admin."""
    if _is_org_admin_now(membership):
        _ensure_another_admin(membership)


def _stop_managing_teams(organization_id: int, user_id: int) -> list[str]:
    """End the user's team management in one organization; the names of those teams."""
    teams = Team.objects.filter(organization_id=organization_id)
    names = set(teams.filter(manager_id=user_id).values_list("name", flat=True))
    names |= set(teams.filter(manager_links__user_id=user_id).values_list("name", flat=True))
    teams.filter(manager_id=user_id).update(manager=None)
    TeamManager.objects.filter(organization_id=organization_id, user_id=user_id).delete()
    return sorted(names)


@transaction.atomic
def add_member(*, organization: Organization, user: User, roles: Iterable[str]) -> Membership:
    """Add a user to the organization with the given roles (at least one).

    Only for accounts that agreed to join (an accepted invitation, ``create_org``, the
    work import's new accounts): adding someone else's account is what invitations are for.
    """
    cleaned = _clean_roles(roles, missing="Give the member at least one role.")
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise TenancyError(f"{user.username} is already a member of {organization.name}.")
    membership = Membership(organization=organization, user=user)
    membership.set_roles(cleaned)
    membership.save()
    return membership


@transaction.atomic
def set_member_roles(*, membership: Membership, roles: Iterable[str]) -> Membership:
    """Replace the member's roles.

    Dropping the last role that may manage a team also ends the member's team
    management in this organization (manager cleared, co-manager links deleted); the
    names of those teams are left on ``membership.teams_no_longer_managed``. Locks the
    organization's admin memberships, so two admins cannot demote each other at once.
    """
    _lock_org_admins(membership.organization_id)
    cleaned = validate_member_roles(membership=membership, roles=roles)
    membership.set_roles(cleaned)
    membership.save()
    membership.teams_no_longer_managed = []
    if not membership.has_role(*TEAM_MANAGER_ROLES):
        membership.teams_no_longer_managed = _stop_managing_teams(
            membership.organization_id, membership.user_id
        )
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Remove a member and their team links (member, manager, co-manager) in this
    organization; their account stays. Locks the organization's admin memberships."""
    _lock_org_admins(membership.organization_id)
    validate_member_removal(membership=membership)
    organization_id, user_id = membership.organization_id, membership.user_id
    TeamMember.objects.filter(organization_id=organization_id, user_id=user_id).delete()
    _stop_managing_teams(organization_id, user_id)
    membership.delete()


@transaction.atomic
def update_about(*, organization: Organization, user: User, about: str) -> Membership:
    """Save what the member writes about themselves on My profile (managers see it on the
    agent overview). Refuses text over the limit; no other side effect."""
    from ..validation import LONG_TEXT

    about = (about or "").strip()
    if len(about) > LONG_TEXT:
        raise TenancyError(f"Write at most {LONG_TEXT:,} characters about yourself "
                           f"(this is {len(about):,}).")
    membership = Membership.objects.select_for_update().get(organization=organization,
                                                            user=user)
    membership.about = about
    membership.save(update_fields=["about"])
    return membership
