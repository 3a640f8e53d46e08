"""Fixtures shared by every test: tenants, members with roles, and a tenant scope."""

import io
import os
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import override_settings
from django_scopes import scopes_disabled

from tests.factories import PASSWORD, Tenant


def pytest_report_header(config):
    from django.db import connection

    if connection.vendor == "postgresql":  # ENGINE is tenancy.db (PostgreSQL with RLS)
        return f"database: PostgreSQL ({settings.DATABASES['default'].get('HOST') or 'socket'})"
    return (
        "!!! DATABASE_URL is not set: tests fall back to SQLite; "
        "CI runs them on PostgreSQL !!!"
    )


# --- order: the longest files first ------------------------------------------------------
#
# ``make test`` runs whole files on two processes (pytest-xdist ``--dist loadfile``), each
# process taking the next file when it is almost done. A long file that starts last keeps
# one process busy while the other has nothing left, so the longest files go first and the
# many short ones fill in after them. Seconds are roughly what each file took in one process
# on a loaded two-core machine (``pytest --durations=0``; the browser files partly
# estimated); only the order matters. Keep the list to files over ~10 s.
# (xdist would otherwise order files by their number of tests, which puts these last.)
SLOW_FILES = {
    "tests/work/test_worker_integration.py": 110,
    "tests/test_api_schemathesis.py": 90,
    "tests/coaching/test_monitor.py": 58,
    "tests/coaching/test_browser_learning_surveys.py": 36,
    "tests/coaching/test_done_when.py": 31,
    "tests/coaching/test_assignment_browser.py": 28,
    "tests/tenancy/test_commands.py": 27,  # the first demo_db file seeds the demo (~25 s)
    "tests/coaching/test_migrations.py": 25,  # migrates a scratch database (tests.scratch_db)
    "tests/coaching/test_plans_done_when.py": 25,
    "tests/quality/test_done_when.py": 25,
    "tests/quality/test_disputes_done_when.py": 20,
    "tests/surveys/test_views.py": 22,
    "tests/quality/test_demo.py": 21,
    "tests/learning/test_views.py": 21,
    "tests/quality/test_autoscore_worker.py": 20,
    "tests/coaching/test_monitor_browser.py": 18,
    "tests/quality/test_audit_browser.py": 16,
    "tests/coaching/test_behaviours_pages.py": 16,
    "tests/quality/test_dispute_review_browser.py": 15,
    "tests/quality/test_review_agent_browser.py": 15,
    "tests/learning/test_browser_learning.py": 15,
    "tests/quality/test_calibration_candidates.py": 15,
    "tests/coaching/test_plan_views.py": 15,
    "tests/coaching/test_marks.py": 14,
    "tests/coaching/test_assignment_views.py": 13,
    "tests/coaching/test_behaviours_browser.py": 13,
    "tests/skills/test_recommend.py": 12,
    "tests/quality/test_audit_views.py": 11,
    "tests/skills/test_matrix.py": 10,
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """The files of SLOW_FILES first, longest first; every other file after them, in the
    order it had (pytest-django's: database tests, then transactional ones). A file's tests
    keep their order."""
    first_index = {}
    for index, item in enumerate(items):
        first_index.setdefault(item.nodeid.split("::", 1)[0], index)
    items.sort(key=lambda item: (-SLOW_FILES.get(path := item.nodeid.split("::", 1)[0], 0),
                                 first_index[path]))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` in the order of pytest_collection_modifyitems (above)."""
    if config.getoption("dist", None) != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    config.option.loadscopereorder = False  # xdist would sort files by number of tests
    return LoadFileScheduling(config, log)


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


# --- the seeded demo, once per process ----------------------------------------------------
#
# ``seed_demo`` builds two whole tenants (tens of seconds). Tests that look at its result
# share one seeded copy per pytest process: right after pytest-django creates the empty test
# database, a PostgreSQL copy of it (``<test db>_demo``) is made; the first test that asks
# for ``demo_db`` seeds that copy once (committed there, never in the test database the
# other tests use); each ``demo_db`` test then runs against the copy inside a transaction
# that is rolled back, as with ``db`` — so a test may also change the demo (e.g. run
# seed_demo a second time) without the next one seeing it.

DEMO_DB_SUFFIX = "_demo"


def _demo_copy_wanted(session) -> bool:
    return any("demo_db" in getattr(item, "fixturenames", ()) for item in session.items)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """pytest-django's test database, plus the empty copy that ``demo_db`` seeds.

    The copy is made while nothing else is connected to the new database (PostgreSQL's
    ``CREATE DATABASE … TEMPLATE`` needs that), and dropped at the end of the run.
    """
    from django.db import connection, connections

    postgres = connection.vendor == "postgresql"
    if not (postgres and _demo_copy_wanted(request.session)):
        yield
        return
    base = connection.settings_dict["NAME"]
    copy = base + DEMO_DB_SUFFIX
    with django_db_blocker.unblock():
        connections.close_all()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{base}"')
    connection.settings_dict["DEMO_COPY"] = copy
    try:
        yield
    finally:
        connection.settings_dict.pop("DEMO_COPY", None)
        with django_db_blocker.unblock():
            connections.close_all()
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


class _DemoDatabase:
    """Point the default connection at the demo copy, and back."""

    def __init__(self, name: str):
        from django.db import connection

        self.connection = connection
        self.name = name
        self.original = connection.settings_dict["NAME"]

    def enter(self) -> None:
        assert not self.connection.in_atomic_block, (
            "demo_db must be set up before db: list it first among the test's fixtures")
        self.connection.close()
        self.connection.settings_dict["NAME"] = self.name

    def leave(self) -> None:
        self.connection.close()
        self.connection.settings_dict["NAME"] = self.original


@dataclass(frozen=True)
class SeededDemo:
    """What the one ``seed_demo`` run printed (with the logins)."""

    out: str
    err: str


@pytest.fixture(scope="session")
def _seeded_demo(django_db_setup, django_db_blocker) -> SeededDemo | None:
    from django.core.management import call_command
    from django.db import connection

    copy = connection.settings_dict.get("DEMO_COPY")
    if copy is None:  # SQLite, or no demo_db test collected: demo_db seeds per test
        return None
    out, err = io.StringIO(), io.StringIO()
    database = _DemoDatabase(copy)
    with django_db_blocker.unblock(), override_settings(RLS_TEST_SET_UP_AS_PLATFORM=False):
        # As in production: the command runs with no tenant unless it enters one, so
        # row-level security checks every statement of the seeding.
        database.enter()
        try:
            call_command("seed_demo", stdout=out, stderr=err)
        finally:
            database.leave()
    return SeededDemo(out=out.getvalue(), err=err.getvalue())


@pytest.fixture
def _demo_connection(_seeded_demo):
    """The default connection on the seeded copy for the test (before ``db`` starts the
    test's transaction, since demo_db lists this first), and back after the rollback."""
    from django.db import connection

    if _seeded_demo is None:
        yield None
        return
    database = _DemoDatabase(connection.settings_dict["DEMO_COPY"])
    database.enter()
    try:
        yield _seeded_demo
    finally:
        database.leave()


@pytest.fixture
def demo_db(_demo_connection, db, request) -> SeededDemo:
    """The database as ``seed_demo`` left it (acme and globex), in a transaction rolled back
    after the test. Request it before any other fixture that uses the database."""
    from django.core.management import call_command

    if _demo_connection is None:  # seed in the test's own transaction, as a copy holds it
        capture = request.getfixturevalue("django_capture_on_commit_callbacks")
        out, err = io.StringIO(), io.StringIO()
        with capture(execute=True):
            call_command("seed_demo", stdout=out, stderr=err)
        return SeededDemo(out=out.getvalue(), err=err.getvalue())
    return _demo_connection


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
