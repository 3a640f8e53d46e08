"""Row-level security: the database refuses what the application's scopes might miss.

Every table with an ``organization_id`` (every :class:`~tenancy.models.TenantModel`) has
PostgreSQL row-level security enabled and *forced* with one policy: a row is visible and
writable only where ``organization_id`` equals the transaction's ``app.organization_id``
setting (see :func:`sync_policies`, run after every ``migrate``). A second policy lets
platform-wide work through when ``app.rls_bypass`` is ``on``; only :func:`platform`,
which names its reason, turns it on.

Which tenant a statement runs for is decided here, per statement, by the database
backend (``tenancy/db/base.py``), which sets both values before a statement whenever they
differ from what the connection holds: with ``set_config(..., true)`` (``SET LOCAL``) inside
a transaction, so the value ends with it, and on the session in autocommit, where every
statement is its own transaction. Nothing set for one request or task can leak into the
next use of a pooled connection: every statement re-checks. (Behind PgBouncer use session
pooling, or transaction pooling with ``ATOMIC_REQUESTS``.)

The tenant comes from the entry point, pinned once:

- a web request: :class:`tenancy.middleware.RowLevelSecurityMiddleware` starts every
  request with no tenant; the tenant middleware and the API pin the request's
  organization (:func:`tenant`) once they know it. A scope forced to another tenant at the
  ORM level later in the request does not move the pin: RLS still answers for the
  request's tenant (that is the point).
- a Celery task: every task starts with no tenant (signals below); a
  :class:`~tenancy.background.TenantTask` pins its organization.
- a management command with ``--org`` pins it through
  :func:`tenancy.scoping.organization_scope`.

Without a pin, the organization of the active django-scopes scope is used, so code that
enters ``scope(organization=...)`` (seeding, commands) runs as that tenant, also where it
disables the ORM's scope inside; outside any scope and any :func:`platform` block a
statement sees no tenant rows at all.

On SQLite (``make run``) none of this exists: the application's scopes are the only wall.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django_scopes import get_scope

POLICY = "tenant_isolation"
BYPASS_POLICY = "platform_bypass"
ORGANIZATION_SETTING = "app.organization_id"
BYPASS_SETTING = "app.rls_bypass"


@dataclass(frozen=True)
class Tenant:
    organization_id: int


@dataclass(frozen=True)
class Platform:
    reason: str


class _Unpinned:
    """No tenant pinned: the active scope's organization, if any, decides."""

    def __repr__(self) -> str:
        return "Unpinned"


class _Ambient:
    """Outside any entry point: unpinned, except in the test settings where test set-up
    (factories, fixtures) writes rows of several tenants and runs as the platform."""

    def __repr__(self) -> str:
        return "Ambient"


UNPINNED = _Unpinned()
AMBIENT = _Ambient()
TEST_SET_UP = Platform("test set-up")

_state: ContextVar = ContextVar("coachdesk_rls", default=AMBIENT)


def _resolved(state):
    if state is AMBIENT:
        return TEST_SET_UP if getattr(settings, "RLS_TEST_SET_UP_AS_PLATFORM", False) else UNPINNED
    return state


def current():
    """What statements run as now: a :class:`Tenant`, a :class:`Platform` or ``UNPINNED``."""
    return _resolved(_state.get())


def wanted_settings() -> tuple[str, str]:
    """``(app.organization_id, app.rls_bypass)`` for the next statement."""
    state = current()
    if isinstance(state, Tenant):
        return str(state.organization_id), "off"
    if isinstance(state, Platform):
        return "", "on"
    # The organization of the innermost scope that named one: ``scopes_disabled()`` inside
    # it (a same-tenant lookup past the ORM's scope) keeps it, as django-scopes keeps it.
    organization_id = getattr(get_scope().get("organization"), "pk", None)
    return (str(organization_id) if organization_id is not None else ""), "off"


@contextmanager
def _set(state) -> Iterator[None]:
    token = _state.set(state)
    try:
        yield
    finally:
        _state.reset(token)


@contextmanager
def entry() -> Iterator[None]:
    """Start a unit of work (request, task) with no tenant, whatever ran before."""
    with _set(UNPINNED):
        yield


@contextmanager
def tenant(organization) -> Iterator[None]:
    """Pin statements to ``organization`` (an instance or an id).

    Inside a pin for another organization the first pin stands: a unit of work belongs to
    one tenant, and a scope forced elsewhere must not widen what the database shows.
    """
    organization_id = getattr(organization, "pk", organization)
    state = current()
    if isinstance(state, Tenant) or organization_id is None:
        yield
        return
    with _set(Tenant(int(organization_id))):
        yield


@contextmanager
def platform(reason: str) -> Iterator[None]:
    """Run platform-wide work that reads or writes across tenants, naming why.

    The reason is what a reviewer reads: every use is a deliberate hole in the wall.
    """
    if not reason:
        raise ValueError("A platform block names its reason.")
    with _set(Platform(reason)):
        yield


def pinned_organization_id() -> int | None:
    state = current()
    return state.organization_id if isinstance(state, Tenant) else None


# --- the policies --------------------------------------------------------------------------


def tenant_tables() -> list[str]:
    """The tables of every installed model with an ``organization`` foreign key column."""
    from django.apps import apps

    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if any(field.column == "organization_id" for field in meta.concrete_fields):
            tables.append(meta.db_table)
    return sorted(set(tables))


# The settings are read once per statement, not once per row: a scalar subquery is an
# InitPlan, evaluated before the scan (row-level security then costs a comparison per row).
TENANT_ROWS = ("organization_id = (SELECT NULLIF(current_setting("
               f"'{ORGANIZATION_SETTING}', true), '')::bigint)")
BYPASS = f"(SELECT current_setting('{BYPASS_SETTING}', true) = 'on')"
# Written on the tenant policy; a table whose policy says otherwise is synced again.
POLICY_VERSION = "coachdesk tenant isolation v2"


def _policy_sql(table: str) -> list[str]:
    quoted = connection.ops.quote_name(table)
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"CREATE POLICY {POLICY} ON {quoted} USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})",
        f"COMMENT ON POLICY {POLICY} ON {quoted} IS '{POLICY_VERSION}'",
        f"DROP POLICY IF EXISTS {BYPASS_POLICY} ON {quoted}",
        f"CREATE POLICY {BYPASS_POLICY} ON {quoted} USING ({BYPASS}) WITH CHECK ({BYPASS})",
    ]


def tables_without_policy(using=None) -> list[str]:
    """Tenant tables (by their ``organization_id`` column, whatever the models say) that
    lack forced row-level security or either policy (in its current version). Empty is the
    only good answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id'
                                AND NOT a.attisdropped
            WHERE c.relkind = 'r' AND n.nspname = current_schema()
              AND NOT (c.relrowsecurity AND c.relforcerowsecurity
                       AND EXISTS (SELECT 1 FROM pg_policy p
                                   JOIN pg_description d ON d.objoid = p.oid
                                        AND d.classoid = 'pg_policy'::regclass
                                   WHERE p.polrelid = c.oid AND p.polname = %s
                                     AND d.description = %s)
                       AND EXISTS (SELECT 1 FROM pg_policy p
                                   WHERE p.polrelid = c.oid AND p.polname = %s))
            ORDER BY c.relname
            """,
            [POLICY, POLICY_VERSION, BYPASS_POLICY],
        )
        return [row[0] for row in cursor.fetchall()]


def sync_policies(*, verbosity: int = 1, stdout=None) -> list[str]:
    """Give every tenant table that lacks it forced RLS and the two policies, and grant
    the application role its rights. Idempotent; PostgreSQL only. Returns the tables
    changed."""
    if connection.vendor != "postgresql":
        return []
    missing = tables_without_policy()
    with platform("migrations: row-level security policies"), connection.cursor() as cursor:
        for table in missing:
            for statement in _policy_sql(table):
                cursor.execute(statement)
        app_role = getattr(settings, "DATABASE_APP_ROLE", "")
        if app_role:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role])
            if cursor.fetchone():
                role = connection.ops.quote_name(app_role)
                cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES "
                               f"IN SCHEMA public TO {role}")
                cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    if missing and verbosity and stdout is not None:
        stdout.write(f"  Row-level security on {len(missing)} tenant table(s).\n")
    return missing


def connection_role_facts() -> dict:
    """The connected role's powers over RLS: a superuser or a BYPASSRLS role ignores it,
    and a table's owner could switch it off."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                       "WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
    return {"user": user, "superuser": superuser, "bypassrls": bypass}
