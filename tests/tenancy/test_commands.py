"""Management commands: create_org, seed_demo, create_api_token."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from tenancy.demo import DEMO_PASSWORD
from tenancy.extensions import demo_seeders
from tenancy.models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Team,
    TeamMember,
    TenantModel,
    User,
)
from tenancy.selectors import active_token_for
from tenancy.services import revoke_api_token


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- create_org ------------------------------------------------------------------------


def test_create_org_creates_org_admin_and_prints_set_password_link(db, client):
    out, _ = _run("create_org", "acme-support", "--name", "Acme Support",
                  "--admin-email", "lead@acme.example", "--timezone", "Europe/Berlin")

    organization = Organization.objects.get(slug="acme-support")
    admin = User.objects.get(email="lead@acme.example")
    with scopes_disabled():
        membership = Membership.objects.get(user=admin)
    assert (organization.name, organization.timezone) == ("Acme Support", "Europe/Berlin")
    assert (membership.organization, membership.roles) == (organization, frozenset({"org_admin"}))
    assert (admin.username, admin.is_staff, admin.has_usable_password()) == (
        "lead@acme.example", True, False
    )
    lines = out.strip().splitlines()
    assert lines[:2] == ["Created Acme Support at /o/acme-support/", "Admin: lead@acme.example"]
    assert lines[2].startswith("Set a password: http://")
    link_path = "/accounts/" + lines[2].split("/accounts/", 1)[1]
    response = client.get(link_path)
    assert response.status_code == 302
    assert response["Location"].endswith("/set-password/")


def test_create_org_reuses_an_existing_account_with_that_email(db):
    existing = User.objects.create_user("lead", "lead@acme.example", "x")

    _run("create_org", "acme", "--name", "Acme", "--admin-email", "LEAD@acme.example")

    existing.refresh_from_db()
    assert existing.is_staff is True
    with scopes_disabled():
        assert list(Membership.objects.values_list("user_id", "is_org_admin")) == [
            (existing.pk, True)
        ]


@pytest.mark.parametrize(("slug", "message"), [
    ("Bad Slug", "slug: Use only lowercase letters, digits and hyphens"),
    ("admin", "slug: “admin” is reserved; choose another slug."),
])
def test_create_org_bad_slug_fails_and_creates_nothing(db, slug, message):
    with pytest.raises(CommandError) as error:
        _run("create_org", slug, "--name", "Acme", "--admin-email", "lead@acme.example")

    assert str(error.value).startswith("Nothing was created. ")
    assert message in str(error.value)
    assert Organization.objects.count() == 0
    assert User.objects.count() == 0


def test_create_org_duplicate_slug_fails_and_creates_nothing(db):
    _run("create_org", "acme", "--name", "Acme", "--admin-email", "first@acme.example")

    with pytest.raises(CommandError) as error:
        _run("create_org", "acme", "--name", "Acme 2", "--admin-email", "second@acme.example")

    assert str(error.value) == (
        "Nothing was created. slug: This slug is already taken by another organization."
    )
    assert list(Organization.objects.values_list("name", flat=True)) == ["Acme"]
    assert list(User.objects.values_list("email", flat=True)) == ["first@acme.example"]
    with scopes_disabled():
        assert Membership.objects.count() == 1


def test_create_org_unknown_timezone_fails_and_creates_nothing(db):
    with pytest.raises(CommandError) as error:
        _run("create_org", "acme", "--name", "Acme", "--admin-email", "lead@acme.example",
             "--timezone", "Mars/Base")

    assert "timezone: “Mars/Base” is not a known time zone." in str(error.value)
    assert (Organization.objects.count(), User.objects.count()) == (0, 0)


# --- seed_demo -------------------------------------------------------------------------


def _demo_counts() -> dict:
    with scopes_disabled():
        counts = {}
        for slug in ("acme", "globex"):
            members = Membership.objects.filter(organization__slug=slug)
            counts[slug] = {
                "members": members.count(),
                "org_admins": members.filter(is_org_admin=True).count(),
                "coaches": members.filter(is_coach=True).count(),
                "agents": members.filter(is_agent=True).count(),
                "qa": members.filter(is_qa_analyst=True).count(),
                "skill_admins": members.filter(is_skill_admin=True).count(),
                "learning_admins": members.filter(is_learning_admin=True).count(),
                "teams": Team.objects.filter(organization__slug=slug).count(),
                "team_members": TeamMember.objects.filter(organization__slug=slug).count(),
            }
        counts["users"] = User.objects.count()
        return counts


ACME = {"members": 37, "org_admins": 1, "coaches": 3, "agents": 30, "qa": 1,
        "skill_admins": 1, "learning_admins": 1, "teams": 3}
GLOBEX = {"members": 8, "org_admins": 1, "coaches": 1, "agents": 6, "qa": 0,
          "skill_admins": 0, "learning_admins": 0, "teams": 1}


def _tenant_row_counts() -> dict[str, int]:
    """Rows of every tenant model, so a second run shows any app's extension not idempotent."""
    with scopes_disabled():
        return {m._meta.label: m.objects.count()
                for m in apps.get_models() if issubclass(m, TenantModel)}


def test_seed_demo_creates_acme_and_globex_and_is_idempotent(demo_db, client):
    # The first run (with the logins printed) is the seeded demo the suite shares (demo_db
    # in tests/conftest.py); the second runs here, in the test's transaction.
    out = demo_db.out
    first, first_rows = _demo_counts(), _tenant_row_counts()
    _run("seed_demo", "--quiet-logins")
    second, second_rows = _demo_counts(), _tenant_row_counts()

    assert {k: v for k, v in first["acme"].items() if k != "team_members"} == ACME
    assert {k: v for k, v in first["globex"].items() if k != "team_members"} == GLOBEX
    # Every agent is in a team; two of acme's also work in a second team.
    assert first["acme"]["team_members"] == 32
    assert first["globex"]["team_members"] == 6
    assert first["users"] == 45
    assert second == first
    assert second_rows == first_rows
    assert "acme: 30 agents, 3 teams; globex: 6 agents, 1 teams" in out
    assert "acme-coach-1" in out
    with scopes_disabled():
        managers = dict(Team.objects.filter(organization__slug="acme")
                        .values_list("name", "manager__username"))
        co_managed = list(Team.objects.filter(organization__slug="acme")
                          .exclude(additional_managers=None)
                          .values_list("name", "additional_managers__username"))
    assert managers == {"Service Desk": "acme-coach-1", "Network Operations": "acme-coach-2",
                        "Customer Care": "acme-coach-3"}
    assert co_managed == [("Service Desk", "acme-coach-2")]
    with scopes_disabled():
        assert list(Invitation.objects.values_list(
            "organization__slug", "email", "roles", "accepted_at", "revoked_at"
        )) == [("acme", "new.coach@example.com", ["coach"], None, None)]
    # The printed demo logins reach their workspaces, and only their own tenant.
    assert client.login(username="acme-coach-1", password=DEMO_PASSWORD)
    assert client.get("/o/acme/manage/").status_code == 200
    assert client.login(username="acme-agent-01", password=DEMO_PASSWORD)
    assert client.get("/o/acme/me/").status_code == 200
    assert client.get("/o/globex/me/").status_code == 404


def test_seed_demo_agents_option_scales_acme(db):
    # Only tenancy's people matter here; later apps' demo data (tenancy's demo_seeders)
    # is exercised by the full run above.
    with demo_seeders.replaced():
        _run("seed_demo", "--agents", "45", "--quiet-logins")

    counts = _demo_counts()
    assert (counts["acme"]["agents"], counts["acme"]["members"]) == (45, 52)
    assert counts["globex"]["agents"] == 6


def test_seed_demo_fewer_than_three_agents_is_refused(db):
    with pytest.raises(SystemExit) as exit_info:
        _run("seed_demo", "--agents", "2")

    assert exit_info.value.code == 2
    assert Organization.objects.count() == 0


# --- create_api_token ------------------------------------------------------------------


def test_create_api_token_prints_the_token_alone_on_the_last_line(tenant_a):
    out, err = _run("create_api_token", "--org", "alpha", "--name", "ServiceNow sync")

    raw = out.rstrip("\n").splitlines()[-1]
    assert raw.startswith("cd_") and " " not in raw
    token = active_token_for(raw)
    assert (token.organization, token.name) == (tenant_a.org, "ServiceNow sync")
    assert err == "Token “ServiceNow sync” for Alpha (shown once):\n"


def test_create_api_token_revoked_token_no_longer_authenticates(tenant_a):
    out, _ = _run("create_api_token", "--org", "alpha", "--name", "ServiceNow sync")
    raw = out.splitlines()[-1]

    with tenant_a.scope():
        revoke_api_token(token=ApiToken.objects.get())

    assert active_token_for(raw) is None
    assert active_token_for(raw + "x") is None
    assert active_token_for("") is None


def test_create_api_token_unknown_org_fails(db):
    with pytest.raises(CommandError) as error:
        _run("create_api_token", "--org", "nope", "--name", "x")

    assert str(error.value) == "No organization with slug “nope”."


def test_create_api_token_blank_name_fails_and_creates_nothing(tenant_a):
    with pytest.raises(CommandError) as error:
        _run("create_api_token", "--org", "alpha", "--name", "  ")

    assert str(error.value) == "Give the token a name that says who uses it."
    with scopes_disabled():
        assert ApiToken.objects.count() == 0
