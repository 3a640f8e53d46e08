"""Helpers to enter a tenant scope outside a web request (tasks, commands, tests)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django_scopes import scope, scopes_disabled

from . import rls
from .models import Organization

__all__ = ["organization_scope", "scope", "scopes_disabled"]


@contextmanager
def organization_scope(organization_or_id) -> Iterator[Organization | None]:
    """Activate the scope for an organization given as an instance or an id.

    Yields ``None`` when the organization no longer exists, so a task can return quietly.
    Row-level security is pinned to it too (unless the unit of work already has a tenant:
    :func:`tenancy.rls.tenant`).
    """
    if isinstance(organization_or_id, Organization):
        organization = organization_or_id
    else:
        organization = Organization.objects.filter(pk=organization_or_id).first()
    if organization is None:
        yield None
        return
    with rls.tenant(organization), scope(organization=organization):
        yield organization
