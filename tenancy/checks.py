"""``manage.py check --deploy``: the database role must leave row-level security on."""

from django.core import checks
from django.db import DatabaseError, connection


@checks.register(checks.Tags.security, deploy=True)
def row_level_security_holds(app_configs=None, **kwargs):
    if connection.vendor != "postgresql":
        return [checks.Warning(
            "The database is not PostgreSQL: tenants are kept apart by the application "
            "alone, without row-level security.",
            hint="Use PostgreSQL in production (README, 'Tenant isolation in the database').",
            id="coachdesk.W010",
        )]
    from . import rls

    try:
        facts = rls.connection_role_facts()
    except DatabaseError:  # no database reachable here: nothing to say about its role
        return []
    if facts["superuser"] or facts["bypassrls"]:
        return [checks.Warning(
            f"The application connects to PostgreSQL as {facts['user']}, a role that "
            "ignores row-level security: one tenant's rows are not protected from another's "
            "by the database.",
            hint="Connect as a role that is neither superuser nor BYPASSRLS (README, 'Tenant "
                 "isolation in the database'); run migrate as the tables' owner.",
            id="coachdesk.W011",
        )]
    return []
