"""Teams: names unique per organization, people who are members, managers who may coach."""

from collections.abc import Iterable

from django.db import transaction
from django_scopes import scopes_disabled

from ..enums import TEAM_MANAGER_ROLES
from ..models import Membership, Organization, Team, TeamManager, TeamMember, User
from .errors import TenancyError


def _names(users: Iterable[User]) -> str:
    return ", ".join(sorted(u.username for u in users))


def validate_team_name(*, organization: Organization, name: str, team: Team | None = None) -> str:
    """The name, stripped; raises if another team of the organization has it (any case)."""
    name = name.strip()
    clash = Team.objects.filter(organization=organization, name__iexact=name)
    if team is not None and team.pk is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        raise TenancyError(f"A team named “{name}” already exists.")
    return name


def validate_team_people(
    *,
    organization: Organization,
    members: Iterable[User] = (),
    managers: Iterable[User] = (),
) -> None:
    """Everyone must be a member of the organization; managers must be coaches or org
    admins there (so whoever manages a team may also coach and approve for it)."""
    members = [u for u in members if u is not None]
    managers = [u for u in managers if u is not None]
    people = {u.pk: u for u in [*members, *managers]}
    if not people:
        return
    with scopes_disabled():
        memberships = {
            m.user_id: m for m in Membership.objects.filter(
                organization=organization, user_id__in=list(people)
            )
        }
    outsiders = [u for pk, u in people.items() if pk not in memberships]
    if outsiders:
        raise TenancyError(
            f"Team people must be members of {organization.name}: {_names(outsiders)}."
        )
    not_coaches = {u.pk: u for u in managers
                   if not memberships[u.pk].has_role(*TEAM_MANAGER_ROLES)}
    if not_coaches:
        raise TenancyError(
            "Only coaches and organization admins can manage a team: "
            f"{_names(not_coaches.values())}."
        )


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

    ``team`` may be an unsaved Team of ``organization`` (the admin's form instance).
    Everyone named must be a member of the organization, managers coaches or org admins;
    names are unique per tenant.
    """
    members = list(dict.fromkeys(members))
    additional_managers = [u for u in dict.fromkeys(additional_managers) if u != manager]
    validate_team_people(organization=organization, members=members,
                         managers=[manager, *additional_managers])
    name = validate_team_name(organization=organization, name=name, team=team)
    if team is None:
        team = Team(organization=organization)
    team.name = name
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
