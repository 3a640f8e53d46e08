"""Thin Celery tasks for the recommender; the work is in :mod:`skills.services`."""

from celery import shared_task

from tenancy.models import Organization
from tenancy.scoping import organization_scope

from . import services


@shared_task(name="skills.rebuild_recommendations")
def rebuild_recommendations(*, organization_id: int) -> int | None:
    with organization_scope(organization_id) as organization:
        if organization is None:
            return None
        return len(services.rebuild_recommendations(organization=organization).rule.created)


@shared_task(name="skills.rebuild_all_recommendations")
def rebuild_all_recommendations() -> int:
    """Nightly: one rebuild task per organization."""
    ids = list(Organization.objects.values_list("pk", flat=True))
    for organization_id in ids:
        rebuild_recommendations.delay(organization_id=organization_id)
    return len(ids)
