"""Read queries for organizations, memberships and teams."""

from django.db.models import Prefetch, Q, QuerySet
from django_scopes import scopes_disabled

from .models import ApiToken, Invitation, Membership, Organization, Team, TeamMember, User


def memberships_of_user(user: User) -> QuerySet[Membership]:
    """Every organization the user belongs to (crosses tenants on purpose: the org switcher)."""
    with scopes_disabled():
        return (
            Membership.objects.filter(user=user)
            .select_related("organization")
            .order_by("organization__name")
        )


def membership_for(user: User, organization: Organization) -> Membership | None:
    """The user's membership in the organization, cached on the user for this request."""
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_membership_cache", {})
    if organization.pk not in cache:
        with scopes_disabled():
            cache[organization.pk] = (
                Membership.objects.filter(user=user, organization=organization)
                .select_related("organization")
                .first()
            )
    return cache[organization.pk]


def account_is_shared(user: User, organization: Organization) -> bool:
    """The account also belongs to another organization (its sign-in details are then not
    this organization's to change). Crosses tenants on purpose, answering only yes/no."""
    with scopes_disabled():
        return Membership.objects.filter(user=user).exclude(organization=organization).exists()


def pending_invitations(organization: Organization) -> QuerySet[Invitation]:
    """Invitations not yet accepted or withdrawn (expired ones too: they can be resent)."""
    return (
        Invitation.objects.filter(organization=organization, accepted_at__isnull=True,
                                  revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at")
    )


def organization_members(organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user")


def teams_for_settings(organization: Organization) -> QuerySet[Team]:
    return (
        Team.objects.filter(organization=organization)
        .select_related("manager")
        .prefetch_related("members", "additional_managers")
    )


def teams_coached_by(user: User) -> QuerySet[Team]:
    """Teams the user manages or co-manages, in the active scope."""
    return Team.objects.filter(Q(manager=user) | Q(manager_links__user=user)).distinct()


def team_with_members(team_id: int) -> Team:
    return (
        Team.objects.select_related("manager")
        .prefetch_related(
            Prefetch("memberships", queryset=TeamMember.objects.select_related("user"))
        )
        .get(pk=team_id)
    )


def active_token_for(raw: str | None) -> ApiToken | None:
    """The unrevoked token with this raw key (looked up by digest, across tenants)."""
    if not raw:
        return None
    with scopes_disabled():
        return (
            ApiToken.objects.select_related("organization")
            .filter(key_hash=ApiToken.hash_key(raw), revoked_at__isnull=True)
            .first()
        )


def api_tokens(organization: Organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization=organization).select_related("created_by")
