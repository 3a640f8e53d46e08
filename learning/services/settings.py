"""The tenant's learning settings, kept in ``Organization.settings``."""

from django.db import transaction

from tenancy.models import Organization

from ..enums import EXCLUDE_WEEKENDS_SETTING


@transaction.atomic
def set_exclude_weekends(*, organization: Organization, exclude: bool) -> Organization:
    """Switch "exclude weekends from learning due dates". Applies to tasks created from now
    on; existing due dates stay. Locks the organization row so concurrent edits of other
    keys in ``settings`` are not lost."""
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    values = dict(locked.settings or {})
    values[EXCLUDE_WEEKENDS_SETTING] = bool(exclude)
    locked.settings = values
    locked.save(update_fields=["settings"])
    organization.settings = values
    return organization
