"""Fixtures shared by every test: tenants, members with roles, and a tenant scope."""

import os
import shutil

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from tests.factories import PASSWORD, Tenant


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return f"database: PostgreSQL ({settings.DATABASES['default'].get('HOST') or 'socket'})"
    return (
        "!!! DATABASE_URL is not set: tests fall back to SQLite; "
        "CI runs them on PostgreSQL !!!"
    )


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (never ``playwright install``).

    Skipped, saying why, only when no Chromium binary exists; CI installs one.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("No Chromium found (set CHROMIUM_PATH or `apt install chromium`); "
                    "browser tests need Debian's chromium and never download one.")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (fixtures, assertions) are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
            # An ORM call made while Playwright runs may open its own connection (Django's
            # connections are context-local); close it, or the test database cannot be
            # dropped at the end of the run.
            connections.close_all()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give each pytest process its own test database (test_<name>_<pid>).

    Several runs on one machine (developers, helpers, CI) then never drop each other's
    database halfway through. pytest-django still creates and destroys it per run.
    """
    from django.db import connections

    suffix = os.environ.get("TEST_DB_SUFFIX") or str(os.getpid())
    for alias in connections:
        test = connections[alias].settings_dict.setdefault("TEST", {})
        if "sqlite" not in connections[alias].settings_dict["ENGINE"]:
            base = test.get("NAME") or f"test_{connections[alias].settings_dict['NAME']}"
            test["NAME"] = f"{base}_{suffix}"


@pytest.fixture
def unscoped():
    """Run a block without a tenant scope (setup code that touches several tenants)."""
    with scopes_disabled():
        yield


@pytest.fixture
def tasks_in_process(monkeypatch):
    """Run enqueued Celery tasks at once, in this process (the mode without REDIS_URL),
    even when the tests run with a broker: a beat task's fan-out is then observable."""
    from config import celery_app

    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)
    monkeypatch.setattr(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def tenant_a(db):
    return Tenant(slug="alpha")


@pytest.fixture
def tenant_b(db):
    return Tenant(slug="beta")


@pytest.fixture
def login(client):
    """Log a user in on the test client and return the client."""

    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login
