"""Accounts are created in one service (invitations, the work import and create_org use it),
and its errors name the field they belong to."""

import re
from pathlib import Path

import pytest

from tenancy.models import User
from tenancy.services import TenancyError, create_account

ROOT = Path(__file__).resolve().parents[2]
APPS = ["tenancy", "work", "skills", "learning", "surveys", "opportunities", "routing",
        "coaching", "quality", "config"]
CREATES_A_USER = re.compile(
    r"\bUser\(|User\.objects\.(create|create_user|create_superuser|bulk_create|get_or_create)\b"
)


def test_create_account_without_a_password_cannot_sign_in_until_one_is_set(db):
    user = create_account(username=" lead@acme.example ", email="lead@ACME.example",
                          first_name=" Lea ", is_staff=True)

    user.refresh_from_db()
    assert (user.username, user.email, user.first_name, user.is_staff, user.is_superuser,
            user.has_usable_password()) == (
        "lead@acme.example", "lead@acme.example", "Lea", True, False, False
    )


def test_create_account_with_a_password_validates_it(db):
    user = create_account(username="zoe", email="zoe@example.com",
                          password="a-long-passphrase-9")

    assert user.check_password("a-long-passphrase-9")


@pytest.mark.parametrize(("kwargs", "errors"), [
    ({"username": "taken"}, {"username": ["A user with that username already exists."]}),
    ({"username": "new", "email": "not-an-address"},
     {"email": ["Enter a valid email address."]}),
    ({"username": "new", "password": "short"},
     {"password": ["This password is too short. It must contain at least 8 characters."]}),
])
def test_create_account_errors_are_keyed_by_field_and_create_nothing(db, kwargs, errors):
    User.objects.create_user("taken", "taken@example.com", "x")

    with pytest.raises(TenancyError) as error:
        create_account(**kwargs)

    assert error.value.message_dict == errors
    assert list(User.objects.values_list("username", flat=True)) == ["taken"]


def test_users_are_created_only_by_the_account_service():
    """One place creates accounts (issue 13): no view, import or command builds a User."""
    allowed = {Path("tenancy/services/accounts.py")}
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in allowed or "migrations" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if CREATES_A_USER.search(line) and not line.lstrip().startswith("class "):
                    offenders.append(f"{relative}:{number}: {line.strip()}")

    assert offenders == [], "Create accounts with tenancy.services.create_account:\n" + "\n".join(
        offenders
    )
