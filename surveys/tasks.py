"""Beat tasks: expire overdue surveys and send reminders, one task per tenant."""

from celery import shared_task

from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from . import services


@shared_task(base=TenantTask, name="surveys.expire_overdue_for")
def expire_overdue_for(*, organization: Organization) -> int:
    return services.expire_overdue_surveys(organization=organization)


@shared_task(name="surveys.expire_overdue")
def expire_overdue() -> int:
    return for_each_organization(expire_overdue_for)


@shared_task(base=TenantTask, name="surveys.send_reminders_for")
def send_reminders_for(*, organization: Organization) -> int:
    return services.send_survey_reminders(organization=organization)


@shared_task(name="surveys.send_reminders")
def send_reminders() -> int:
    return for_each_organization(send_reminders_for)


__all__ = ["expire_overdue", "expire_overdue_for", "send_reminders", "send_reminders_for"]
