"""Thin Celery tasks of the privacy app: the nightly retention run, one task per tenant."""

from celery import shared_task

from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from .retention import apply_retention, retention_policy

NIGHTLY = "nightly retention task"


@shared_task(base=TenantTask, name="privacy.apply_retention_for")
def apply_retention_for(*, organization: Organization) -> int | None:
    """Apply one organization's retention policy; the number of rows changed. An
    organization without any period set is skipped without a record (nothing to do)."""
    if retention_policy(organization).is_empty:
        return None
    return apply_retention(organization=organization, dry_run=False,
                           requested_by=NIGHTLY).changed


@shared_task(name="privacy.apply_retention")
def apply_retention_nightly() -> int:
    """The beat entry: one retention task per organization."""
    return for_each_organization(apply_retention_for)
