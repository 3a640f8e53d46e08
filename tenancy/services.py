"""Every write to organizations, memberships and teams goes through here."""

import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_scopes import scope, scopes_disabled

from .enums import Role
from .models import ApiToken, Membership, Organization, Team, TeamManager, TeamMember, User

API_TOKEN_PREFIX = "cd_"


class TenancyError(ValidationError):
    """A rule of tenancy was broken; the message is fit to show a user."""


def _require_member(organization: Organization, users: Iterable[User], *, what: str) -> None:
    users = [u for u in users if u is not None]
    if not users:
        return
    with scopes_disabled():
        member_ids = set(
            Membership.objects.filter(
                organization=organization, user_id__in=[u.pk for u in users]
            ).values_list("user_id", flat=True)
        )
    outsiders = [u.username for u in users if u.pk not in member_ids]
    if outsiders:
        raise TenancyError(
            f"{what} must be members of {organization.name}: {', '.join(sorted(outsiders))}."
        )


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
    organization = Organization(name=name, slug=slug, timezone=timezone)
    if weekend_days is not None:
        organization.weekend_days = weekend_days
    organization.full_clean()
    organization.save()
    if admin is not None:
        with scope(organization=organization):
            add_member(organization=organization, user=admin, roles=[Role.ORG_ADMIN])
    return organization


@transaction.atomic
def update_organization(
    *, organization: Organization, name: str, timezone: str, weekend_days: list[int]
) -> Organization:
    organization.name = name
    organization.timezone = timezone
    organization.weekend_days = sorted(weekend_days)
    organization.full_clean()
    organization.save(update_fields=["name", "timezone", "weekend_days"])
    return organization


@transaction.atomic
def add_member(*, organization: Organization, user: User, roles: Iterable[str]) -> Membership:
    """Add a user to the organization with the given roles (at least one)."""
    roles = list(roles)
    if not roles:
        raise TenancyError("Give the member at least one role.")
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise TenancyError(f"{user.username} is already a member of {organization.name}.")
    membership = Membership(organization=organization, user=user)
    membership.set_roles(roles)
    membership.save()
    return membership


@transaction.atomic
def set_member_roles(*, membership: Membership, roles: Iterable[str]) -> Membership:
    roles = list(roles)
    if not roles:
        raise TenancyError("A member needs at least one role; remove the member instead.")
    if Role.ORG_ADMIN not in roles and membership.is_org_admin:
        _ensure_another_admin(membership)
    membership.set_roles(roles)
    membership.save()
    return membership


def _ensure_another_admin(membership: Membership) -> None:
    others = (
        Membership.objects.filter(organization=membership.organization, is_org_admin=True)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise TenancyError("An organization needs at least one organization admin.")


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Remove a member and their team links in this organization."""
    if membership.is_org_admin:
        _ensure_another_admin(membership)
    organization = membership.organization
    TeamMember.objects.filter(organization=organization, user=membership.user).delete()
    TeamManager.objects.filter(organization=organization, user=membership.user).delete()
    Team.objects.filter(organization=organization, manager=membership.user).update(manager=None)
    membership.delete()


@transaction.atomic
def save_team(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    manager: User | None = None,
    members: Iterable[User] = (),
    additional_managers: Iterable[User] = (),
    team: Team | None = None,
) -> Team:
    """Create or update a team with exactly the given members and managers.

    Everyone named must be a member of the organization; names are unique per tenant.
    """
    members = list(dict.fromkeys(members))
    additional_managers = [u for u in dict.fromkeys(additional_managers) if u != manager]
    _require_member(organization, [manager, *members, *additional_managers], what="Team people")
    clash = Team.objects.filter(organization=organization, name__iexact=name.strip())
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise TenancyError(f"A team named “{name.strip()}” already exists.")
    if team is None:
        team = Team(organization=organization)
    team.name = name.strip()
    team.description = description
    team.manager = manager
    team.save()
    _replace_links(TeamMember, team, members)
    _replace_links(TeamManager, team, additional_managers)
    return team


def _replace_links(model, team: Team, users: list[User]) -> None:
    wanted = {u.pk for u in users}
    existing = set(model.objects.filter(team=team).values_list("user_id", flat=True))
    model.objects.filter(team=team, user_id__in=existing - wanted).delete()
    model.objects.bulk_create(
        [model(organization=team.organization, team=team, user_id=pk) for pk in wanted - existing]
    )


@transaction.atomic
def delete_team(*, team: Team) -> None:
    team.delete()


def password_set_link(user: User, *, base_url: str) -> str:
    """An absolute link where the user chooses a password (Django's reset confirm view)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{base_url}{path}"


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(
    *, organization: Organization, name: str, created_by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw key, which is never stored or shown again."""
    name = name.strip()
    if not name:
        raise TenancyError("Give the token a name that says who uses it.")
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization, name=name, created_by=created_by,
        key_prefix=raw[:10], key_hash=hash_api_key(raw),
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
