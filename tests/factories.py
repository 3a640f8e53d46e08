"""The one way tests build tenants and people: factory_boy factories for the tenancy models,
``Tenant`` (an organization with keyword-only ``member`` and ``team`` helpers) and
``make_world``, the common cast every app's ``world`` fixture starts from."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

import factory
from django.contrib.auth.hashers import make_password
from django_scopes import scope, scopes_disabled

from tenancy.models import Membership, Organization, Team, TeamManager, TeamMember, User

PASSWORD = "test-password-123"
_PASSWORD_HASH = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = make_password(PASSWORD)
    return _PASSWORD_HASH


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    timezone = "UTC"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.LazyFunction(_password_hash)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    organization = factory.SelfAttribute("team.organization")
    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)


class Tenant:
    """One organization with keyword-only helpers to add members with roles and teams."""

    def __init__(self, *, slug: str):
        with scopes_disabled():
            self.org = OrganizationFactory(slug=slug, name=slug.title())

    def member(self, *, roles: Iterable[str] = ("agent",), username: str | None = None,
               **user_fields) -> User:
        with scopes_disabled():
            kwargs = {"username": username} if username else {}
            user = UserFactory(**kwargs, **user_fields)
            membership = MembershipFactory(organization=self.org, user=user)
            membership.set_roles(list(roles))
            membership.save()
        return user

    def team(self, *, name: str | None = None, manager: User | None = None,
             members: Iterable[User] = (), co_managers: Iterable[User] = ()) -> Team:
        with scopes_disabled():
            kwargs = {"name": name} if name else {}
            team = TeamFactory(organization=self.org, manager=manager, **kwargs)
            for user in members:
                TeamMemberFactory(team=team, user=user)
            for user in co_managers:
                TeamManager.objects.create(organization=self.org, team=team, user=user)
        return team

    def scope(self):
        return scope(organization=self.org)

    def url(self, path: str = "") -> str:
        return f"/o/{self.org.slug}/{path}"


# A person in ``make_world``: a username, or the user's fields (``username`` included).
Person = str | Mapping[str, str] | None


@dataclass(kw_only=True)
class World:
    """The common cast of one tenant (and optionally a second one). A slot not asked for is None.

    ``team`` is managed by ``coach`` and co-managed by ``co_coach``; ``team2`` is managed by
    ``coach2``; ``outsider`` belongs to the other tenant (every role given to it) and manages
    ``other_team`` there. Apps extend this class with their own fields (keywords only).
    """

    tenant: Tenant
    other: Tenant | None = None
    admin: User | None = None  # org admin
    coach: User | None = None  # manages `team`
    co_coach: User | None = None  # co-manages `team`
    coach2: User | None = None  # manages `team2`
    agent: User | None = None  # in `team` unless told otherwise
    agent2: User | None = None  # in `team` unless told otherwise
    agent3: User | None = None  # in `team2` unless told otherwise
    outsider: User | None = None  # in the other tenant
    team: Team | None = None
    team2: Team | None = None
    other_team: Team | None = None  # the other tenant's, managed by `outsider`
    staff: dict[str, User] = field(default_factory=dict)  # other roles, by name

    def as_kwargs(self) -> dict:
        """The common fields, to build an app's world on this one:
        ``AppWorld(**base.as_kwargs(), vpn=vpn)``."""
        return {f.name: getattr(self, f.name) for f in fields(World)}


def make_world(
    *,
    tenant: Tenant,
    other: Tenant | None = None,
    admin: Person = None,
    coach: Person = None,
    co_coach: Person = None,
    coach2: Person = None,
    agent: Person = None,
    agent2: Person = None,
    agent3: Person = None,
    outsider: Person = None,
    outsider_roles: Iterable[str] = ("org_admin", "coach", "agent"),
    team: str | None = None,
    team_members: Iterable[str | User] = ("agent", "agent2"),
    team2: str | None = None,
    team2_members: Iterable[str | User] = ("agent3",),
    other_team: str | None = None,
    staff: Mapping[str, tuple[Iterable[str], Person]] | None = None,
) -> World:
    """Build the common cast; every argument is a keyword, every slot not given is left empty.

    ``staff`` adds tenant members with other roles right after the admin, by attribute name:
    ``staff={"qa": (["qa_analyst"], "quinn")}``; they come back in ``world.staff``.
    Team members are slot names (``"agent2"``) or users. Members are created in the order
    admin, staff, coach, co_coach, coach2, agent, agent2, agent3, outsider.
    """

    def person(where: Tenant, roles: Iterable[str], spec: Person) -> User | None:
        if spec is None:
            return None
        user_fields = {"username": spec} if isinstance(spec, str) else dict(spec)
        return where.member(roles=roles, **user_fields)

    people: dict[str, User | None] = {"admin": person(tenant, ["org_admin"], admin)}
    extra = {name: person(tenant, roles, spec) for name, (roles, spec) in (staff or {}).items()}
    for slot, roles, spec in (
        ("coach", ["coach"], coach), ("co_coach", ["coach"], co_coach),
        ("coach2", ["coach"], coach2), ("agent", ["agent"], agent),
        ("agent2", ["agent"], agent2), ("agent3", ["agent"], agent3),
    ):
        people[slot] = person(tenant, roles, spec)
    if outsider is not None:
        assert other is not None, "an outsider lives in the other tenant"
    people["outsider"] = person(other, outsider_roles, outsider) if other else None

    def members(names: Iterable[str | User]) -> list[User]:
        chosen = [people[n] if isinstance(n, str) else n for n in names]
        return [user for user in chosen if user is not None]

    world = World(tenant=tenant, other=other, staff=extra, **people)
    if team is not None:
        world.team = tenant.team(name=team, manager=world.coach, members=members(team_members),
                                 co_managers=members(["co_coach"]))
    if team2 is not None:
        world.team2 = tenant.team(name=team2, manager=world.coach2,
                                  members=members(team2_members))
    if other_team is not None:
        world.other_team = other.team(name=other_team, manager=world.outsider,
                                      members=members(["outsider"]))
    return world
