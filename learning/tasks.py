"""Thin Celery tasks for learning; the work is in services."""

from celery import shared_task

from tenancy.models import Organization
from tenancy.scoping import organization_scope

from . import services


@shared_task(name="learning.send_reminders")
def send_learning_reminders() -> int:
    """Beat: each organization's due-tomorrow and overdue reminders (safe to run twice)."""
    sent = 0
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        sent += send_learning_reminders_for(organization_id=organization_id)
    return sent


@shared_task(name="learning.send_reminders_for")
def send_learning_reminders_for(*, organization_id: int) -> int:
    with organization_scope(organization_id) as organization:
        if organization is None:
            return 0
        return services.send_learning_reminders(organization=organization)


__all__ = ["send_learning_reminders", "send_learning_reminders_for"]
