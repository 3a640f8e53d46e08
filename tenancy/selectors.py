"""Read queries for organizations, memberships and teams."""

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django_scopes import scopes_disabled

from . import rls
from .enums import Role
from .models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Team,
    TeamManager,
    TeamMember,
    User,
)


def memberships_of_user(user: User) -> list[Membership]:
    """Every organization the user belongs to (crosses tenants on purpose: the org switcher)."""
    with scopes_disabled(), rls.platform("the organizations a user belongs to"):
        return list(
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
        with scopes_disabled(), rls.tenant(organization):
            cache[organization.pk] = (
                Membership.objects.filter(user=user, organization=organization)
                .select_related("organization")
                .first()
            )
    return cache[organization.pk]


def account_is_shared(user: User, organization: Organization) -> bool:
    """The account also belongs to another organization (its sign-in details are then not
    this organization's to change). Crosses tenants on purpose, answering only yes/no."""
    with scopes_disabled(), rls.platform("whether an account belongs to other organizations"):
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


def member_counts(organization: Organization) -> dict[str, int]:
    """``members``, ``agents`` and ``coaches`` of the organization, counted by the database
    (issue 22.3: the overview loaded every membership to count them)."""
    return Membership.objects.filter(organization=organization).aggregate(
        members=Count("pk"), agents=Count("pk", filter=Q(is_agent=True)),
        coaches=Count("pk", filter=Q(is_coach=True)))


def teams_for_settings(organization: Organization) -> QuerySet[Team]:
    """The organization's teams with their manager, additional managers and ``member_count``
    (counted by the database, not by loading every member)."""
    return (
        Team.objects.filter(organization=organization)
        .select_related("manager")
        .prefetch_related("additional_managers")
        .annotate(member_count=Count("memberships", distinct=True))
    )


# --- who may see whom -----------------------------------------------------------------
# The coaching relation is written here and nowhere else: rules (``tenancy.rules.is_coach_of``)
# and every app's ``visible_…`` selectors ask these functions.


def learns_team_membership(organization: Organization) -> bool:
    """The setting "learn team membership from work": an imported item's assignee becomes a
    member of its team (on for organizations created since it exists, off before)."""
    teams = (organization.settings or {}).get("teams") or {}
    return bool(teams.get("learn_from_work", False))


def sees_everything(organization: Organization, user: User, *owner_roles: str) -> bool:
    """Whether the user sees every row of a kind in the organization rather than their
    teams' rows: org admins always, and members holding one of the kind's owner roles
    (``Role.SKILL_ADMIN`` for skills, ``Role.LEARNING_ADMIN`` for learning)."""
    membership = membership_for(user, organization)
    return membership is not None and membership.has_role(Role.ORG_ADMIN, *owner_roles)


def teams_coached_by(organization: Organization, user: User) -> QuerySet[Team]:
    """Teams the user manages or co-manages in the organization (each once), as recorded.

    Whether that lets them act on the teams' agents is :func:`coachable_agents`."""
    co_managed = TeamManager.objects.filter(organization=organization, user=user)
    return Team.objects.filter(organization=organization).filter(
        Q(manager=user) | Q(pk__in=co_managed.values("team_id"))
    )


def coachable_agents(organization: Organization, user: User) -> QuerySet:
    """The agents this user may coach in the organization, as a subquery of user ids (use
    it as ``user_id__in=…``): the members of the teams they manage or co-manage, provided
    they hold the coach role. A manager whose coach role was removed coaches nobody.

    Costs no query of its own (the membership is cached per request)."""
    membership = membership_for(user, organization)
    members = TeamMember.objects.filter(organization=organization)
    if membership is None or not membership.is_coach:
        return members.none().values("user_id")
    return members.filter(
        team_id__in=teams_coached_by(organization, user).values("pk")
    ).values("user_id")


def coaches_of(organization: Organization, agent: User) -> QuerySet[User]:
    """Managers and additional managers of the teams the agent belongs to (not the agent
    themselves): the other side of :func:`teams_coached_by`."""
    team_ids = TeamMember.objects.filter(organization=organization, user=agent).values("team_id")
    co_managers = TeamManager.objects.filter(organization=organization, team_id__in=team_ids)
    return (
        User.objects.filter(Q(managed_teams__in=team_ids)
                            | Q(pk__in=co_managers.values("user_id")))
        .exclude(pk=agent.pk).distinct().order_by("username")
    )


def team_with_members(team_id: int) -> Team:
    return (
        Team.objects.select_related("manager")
        .prefetch_related(
            Prefetch("memberships", queryset=TeamMember.objects.select_related("user"))
        )
        .get(pk=team_id)
    )


def active_token_for(raw: str | None) -> ApiToken | None:
    """The unrevoked token with this raw key (looked up by digest, across tenants). A
    personal token counts only while its person is active and still a member."""
    if not raw:
        return None
    with scopes_disabled(), rls.platform("an API token names its organization"):
        return (
            ApiToken.objects.select_related("organization", "user")
            .filter(key_hash=ApiToken.hash_key(raw), revoked_at__isnull=True)
            .filter(Q(user__isnull=True) | Q(
                user__is_active=True,
                user__memberships__organization=F("organization")))
            .first()
        )


def api_tokens(organization: Organization) -> QuerySet[ApiToken]:
    """Every token of the organization, its own and its members' personal ones."""
    return ApiToken.objects.filter(organization=organization).select_related("created_by",
                                                                             "user")


def personal_tokens(organization: Organization, user: User) -> QuerySet[ApiToken]:
    """The member's own personal tokens in the organization, newest first."""
    return ApiToken.objects.filter(organization=organization, user=user)


def teams_of_member(organization: Organization, user: User) -> QuerySet[Team]:
    """The teams the user is a member of, with their managers (My profile)."""
    return (Team.objects.filter(organization=organization, members=user)
            .select_related("manager").order_by("name"))
