"""Production settings: ``manage.py check --deploy`` is clean with the documented variables,
and start-up refuses a placeholder secret key or an e-mail backend that sends nothing."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The variables README.md's configuration table asks a production install to set.
DOCUMENTED = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "coach.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://coach.example.com",
    "SITE_URL": "https://coach.example.com",
    "EMAIL_URL": "smtp+tls://coachdesk:pw@smtp.example.com:587",
    "DEFAULT_FROM_EMAIL": "Coachdesk <coachdesk@example.com>",
}


def _manage(*args, **env):
    """Run manage.py with only the given environment (nothing inherited from the tests)."""
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp",
                   "SECRET_KEY": secrets.token_urlsafe(50), **DOCUMENTED, **env}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def _placeholder_key() -> str:
    text = (ROOT / ".env.example").read_text()
    return re.search(r"^SECRET_KEY=(.+)$", text, re.M).group(1)


def _database_url(user: str | None = None) -> str:
    """The tests' own PostgreSQL database (it exists while they run), as ``user``."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("The production checks look at a PostgreSQL role; these tests run on "
                    "SQLite (DATABASE_URL unset).")
    return (f"postgres://{user or db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")


def test_check_deploy_is_clean_with_the_documented_variables(db):
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     DATABASE_URL=_database_url())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


def test_check_deploy_warns_when_the_role_ignores_row_level_security(db):
    url = _database_url("postgres")
    result = _manage("check", "--deploy", DATABASE_URL=url)

    if "password authentication failed" in result.stderr or "does not exist" in result.stderr:
        pytest.skip("No trusted postgres superuser on this server to connect as.")
    assert "(coachdesk.W011) The application connects to PostgreSQL as postgres, a role " \
           "that ignores row-level security" in result.stdout + result.stderr


def test_check_deploy_warns_that_sqlite_has_no_row_level_security():
    result = _manage("check", "--deploy", DATABASE_URL="sqlite:////tmp/coachdesk-check.db")

    assert "(coachdesk.W010) The database is not PostgreSQL: tenants are kept apart by the " \
           "application alone" in result.stdout + result.stderr


def test_check_deploy_behind_a_redirecting_proxy_is_clean_too(db):
    result = _manage("check", "--deploy", "--fail-level", "WARNING",
                     DATABASE_URL=_database_url(),
                     SECURE_SSL_REDIRECT="false", TRUSTED_PROXY_COUNT="1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (1 silenced).\n"


@pytest.mark.parametrize("key", [
    _placeholder_key(),
    "insecure-development-key-change-me-in-production",
    "x" * 60,
    "short-but-random-Zq8",
])
def test_a_placeholder_or_weak_secret_key_is_refused_naming_secret_key(key):
    result = _manage("check", "--deploy", SECRET_KEY=key)

    assert result.returncode == 1
    assert "ImproperlyConfigured: SECRET_KEY " in result.stderr
    assert "Set it to a random value of 50+ characters" in result.stderr


def test_the_console_email_backend_is_refused_naming_email_url():
    result = _manage("check", "--deploy", EMAIL_URL="consolemail://")

    assert result.returncode == 1
    assert "ImproperlyConfigured: EMAIL_URL must name a mail server in production" in (
        result.stderr)
