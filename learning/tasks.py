"""Thin Celery tasks for learning; the work is in services."""

from celery import shared_task

from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from . import services


@shared_task(base=TenantTask, name="learning.send_reminders_for")
def send_learning_reminders_for(*, organization: Organization) -> int:
    """The organization's due-tomorrow and overdue reminders (safe to run twice)."""
    return services.send_learning_reminders(organization=organization)


@shared_task(name="learning.send_reminders")
def send_learning_reminders() -> int:
    """Beat: one reminder task per organization."""
    return for_each_organization(send_learning_reminders_for)


__all__ = ["send_learning_reminders", "send_learning_reminders_for"]
