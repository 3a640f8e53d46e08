"""Thin Celery tasks for coaching; the work is in services."""

from celery import shared_task
from django_scopes import scopes_disabled

from opportunities.services import prune_match_log
from tenancy.models import Organization
from tenancy.scoping import organization_scope

from . import services


@shared_task(name="coaching.expire_overdue_assessments")
def expire_overdue_assessments() -> int:
    """Close as incomplete the open assessments past their due date, in every tenant."""
    with scopes_disabled():
        organization_ids = list(Organization.objects.values_list("pk", flat=True))
    expired = 0
    for organization_id in organization_ids:
        with organization_scope(organization_id) as organization:
            if organization is not None:
                expired += services.expire_overdue_assessments(organization=organization)
    return expired


@shared_task(name="coaching.prune_match_logs")
def prune_match_logs() -> int:
    with scopes_disabled():
        organization_ids = list(Organization.objects.values_list("pk", flat=True))
    pruned = 0
    for organization_id in organization_ids:
        with organization_scope(organization_id) as organization:
            if organization is not None:
                pruned += prune_match_log(organization=organization)
    return pruned
