"""Checks shared by the learning services: rows must belong to the organization at hand."""

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from tenancy.errors import same_tenant
from tenancy.models import Membership, Organization, User

from ..errors import LearningError


def require_same_tenant(organization: Organization, rows: Iterable, *, what: str) -> None:
    same_tenant(organization, *rows, error=LearningError, message=lambda foreign: (
        f"{what} must belong to {organization.name}: "
        f"{', '.join(sorted(str(row) for row in foreign))}."
    ))


def require_members(organization: Organization, users: Iterable[User], *, what: str) -> None:
    users = [u for u in users if u is not None]
    if not users:
        return
    with scopes_disabled():
        member_ids = set(
            Membership.objects.filter(organization=organization, user__in=users)
            .values_list("user_id", flat=True)
        )
    outsiders = sorted(str(u) for u in users if u.pk not in member_ids)
    if outsiders:
        raise LearningError(
            f"{what} must be members of {organization.name}: {', '.join(outsiders)}."
        )


def absolute_url(organization: Organization, name: str, **kwargs) -> str:
    """A direct link for e-mails (``settings.SITE_URL`` plus the tenant URL)."""
    return settings.SITE_URL + reverse(name, kwargs={"org_slug": organization.slug, **kwargs})
