"""Thin Celery tasks for the recommender; the work is in :mod:`skills.services`."""

from celery import shared_task

from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from . import services


@shared_task(base=TenantTask, name="skills.rebuild_recommendations")
def rebuild_recommendations(*, organization: Organization) -> int:
    return len(services.rebuild_recommendations(organization=organization).rule.created)


@shared_task(base=TenantTask, name="skills.notify_recommendation_coaches")
def notify_recommendation_coaches(*, organization: Organization, recommendation_id: int) -> bool:
    """The coaches' e-mail of a new recommendation (enqueued after the rule commits)."""
    return services.notify_recommendation_coaches(organization=organization,
                                                  recommendation_id=recommendation_id)


@shared_task(name="skills.rebuild_all_recommendations")
def rebuild_all_recommendations() -> int:
    """Nightly: one rebuild task per organization."""
    return for_each_organization(rebuild_recommendations)


__all__ = ["notify_recommendation_coaches", "rebuild_all_recommendations",
           "rebuild_recommendations"]
