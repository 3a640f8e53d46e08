"""The demo tenants behind ``manage.py seed_demo``.

Later apps add their own demo data by registering ``fn(organization, people, stdout)`` in
:data:`tenancy.extensions.demo_seeders` from their ``AppConfig.ready``; each must be
idempotent like this module.
"""

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django_scopes import scope

from .enums import Role
from .extensions import demo_seeders
from .models import Invitation, Membership, Organization, Team, User
from .services import add_member, create_account, invite_member, save_team, set_member_roles

DEMO_PASSWORD = "coachdesk-demo"
# Shown under Members as waiting for an answer (acme only; seed_demo sends no e-mail).
DEMO_INVITEE = "new.coach@example.com"

FIRST_NAMES = [
    "Olivia", "Liam", "Amara", "Noah", "Sofia", "Mateo", "Priya", "Lucas", "Hana", "Ethan",
    "Zara", "Diego", "Maya", "Jonas", "Aisha", "Leo", "Ingrid", "Omar", "Chloe", "Kenji",
    "Fatima", "Elias", "Nora", "Ravi", "Lena", "Samuel", "Yara", "Tomás", "Mei", "Isaac",
]
LAST_NAMES = [
    "Okafor", "Jensen", "Garcia", "Novak", "Haddad", "Rossi", "Kowalski", "Tanaka", "Silva",
    "Murphy", "Schmidt", "Dubois", "Nguyen", "Patel", "Andersson", "Costa", "Kim", "Moreau",
    "Fischer", "Lopez", "Ivanova", "Brennan", "Sato", "Mensah", "Larsen", "Ortiz", "Weber",
    "Yilmaz", "Chen", "Baptiste",
]


@dataclass
class DemoPeople:
    org_admin: User
    coaches: list[User]
    qa_analyst: User | None
    skill_admin: User | None
    learning_admin: User | None
    agents: list[User]
    teams: list[Team] = field(default_factory=list)


ACME_TEAMS = [
    ("Service Desk", "First-line IT support: password resets, access, hardware and software."),
    ("Network Operations", "Connectivity, VPN, firewall changes and outages."),
    ("Customer Care", "Customer calls, chats and e-mails about orders, billing and returns."),
]


def _user(username: str, first: str, last: str, password_hash: str, *, staff=False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_account(username=username, email=f"{username}@example.com",
                              first_name=first, last_name=last, password_hash=password_hash,
                              is_staff=staff)
    return user


def _member(organization: Organization, user: User, roles: list[str]) -> None:
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        add_member(organization=organization, user=user, roles=roles)
    elif not set(roles) <= membership.roles:
        set_member_roles(membership=membership, roles=sorted(membership.roles | set(roles)))


def _seed_org(slug: str, name: str, timezone: str, team_specs, agents: int, password_hash: str,
              *, full_staff: bool) -> tuple[Organization, DemoPeople]:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = Organization(name=name, slug=slug, timezone=timezone)
        organization.full_clean()
        organization.save()
    rng = random.Random(slug)
    with scope(organization=organization):
        admin = _user(f"{slug}-admin", "Ada", "Quinn" if slug == "acme" else "Byrne",
                      password_hash, staff=True)
        _member(organization, admin, [Role.ORG_ADMIN])
        coaches = []
        for i, _team in enumerate(team_specs, start=1):
            coach = _user(f"{slug}-coach-{i}", FIRST_NAMES[-i], LAST_NAMES[-i], password_hash)
            _member(organization, coach, [Role.COACH])
            coaches.append(coach)
        qa = skills = learning = None
        if full_staff:
            qa = _user(f"{slug}-qa", "Quentin", "Abara", password_hash)
            _member(organization, qa, [Role.QA_ANALYST])
            skills = _user(f"{slug}-skills", "Sade", "Kaur", password_hash)
            _member(organization, skills, [Role.SKILL_ADMIN])
            learning = _user(f"{slug}-learning", "Lars", "Eriksen", password_hash)
            _member(organization, learning, [Role.LEARNING_ADMIN])
        agent_users = []
        for i in range(1, agents + 1):
            first = FIRST_NAMES[(i - 1) % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 7) % len(LAST_NAMES)]
            agent = _user(f"{slug}-agent-{i:02d}", first, last, password_hash)
            _member(organization, agent, [Role.AGENT])
            agent_users.append(agent)
        teams = []
        for index, (team_name, description) in enumerate(team_specs):
            members = agent_users[index::len(team_specs)]
            existing = Team.objects.filter(organization=organization, name=team_name).first()
            if existing is not None:
                members = list({*existing.members.all(), *members})
            co_managers = []
            if index == 0 and len(coaches) > 1:
                co_managers = [coaches[1]]
            teams.append(save_team(
                organization=organization, team=existing, name=team_name,
                description=description, manager=coaches[index], members=members,
                additional_managers=co_managers,
            ))
        # A few agents work in two teams, as they do in real service desks.
        if len(teams) > 1 and len(agent_users) > 4:
            second = teams[1]
            extra = [a for a in rng.sample(agent_users[::3], k=min(2, len(agent_users[::3])))]
            save_team(
                organization=organization, team=second, name=second.name,
                description=second.description, manager=second.manager,
                members=list({*second.members.all(), *extra}),
                additional_managers=list(second.additional_managers.all()),
            )
        if full_staff and not Invitation.objects.filter(organization=organization,
                                                        email=DEMO_INVITEE).exists():
            invite_member(organization=organization, email=DEMO_INVITEE, roles=[Role.COACH],
                          invited_by=admin)
        people = DemoPeople(admin, coaches, qa, skills, learning, agent_users, teams)
    return organization, people


def seed(*, agents: int = 30, stdout=None) -> str:
    password_hash = make_password(DEMO_PASSWORD)
    results = []
    for slug, name, tz, team_specs, count, full in (
        ("acme", "Acme Support", "Europe/Amsterdam", ACME_TEAMS, agents, True),
        ("globex", "Globex Contact Center", "America/Chicago",
         [("Billing", "Billing questions and payment issues.")], 6, False),
    ):
        with transaction.atomic():
            organization, people = _seed_org(slug, name, tz, team_specs, count, password_hash,
                                             full_staff=full)
            with scope(organization=organization):
                for seed_app in demo_seeders:
                    seed_app(organization, people, stdout)
            # The work events are processed after commit, in batches, by queries whose
            # plans need statistics of the tables just filled (autovacuum may be off, or
            # not yet round): without them a batch's recommender query ran 18× slower.
            analyze_tables()
        results.append(
            f"{organization.slug}: {len(people.agents)} agents, {len(people.teams)} teams"
        )
    return "Demo data ready — " + "; ".join(results) + "."


def analyze_tables() -> None:
    """``ANALYZE`` Coachdesk's tables on PostgreSQL (a role that does not own them gets a
    warning per table, not an error); seeders call it after filling tables that later
    steps query."""
    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def logins_text() -> str:
    return (
        "\nDemo logins (password for all: " + DEMO_PASSWORD + ")\n"
        "  acme-admin     organization admin (also Django admin)  /o/acme/\n"
        "  acme-coach-1   coach (manager workspace)                /o/acme/\n"
        "  acme-qa        QA analyst · acme-skills skill admin · acme-learning learning admin\n"
        "  acme-agent-01  agent (My coaching)                      /o/acme/me/\n"
        "  globex-admin   admin of the second tenant, Globex       /o/globex/\n"
    )
