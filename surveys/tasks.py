"""Beat tasks: expire overdue surveys and send reminders, tenant by tenant."""

from celery import shared_task
from django_scopes import scopes_disabled

from tenancy.scoping import organization_scope

from . import services
from .enums import ResponseState
from .models import SurveyResponse


def _organizations_with_pending() -> list[int]:
    with scopes_disabled():
        return list(
            SurveyResponse.objects.filter(state=ResponseState.PENDING)
            .values_list("organization_id", flat=True).distinct().order_by("organization_id")
        )


@shared_task(name="surveys.expire_overdue")
def expire_overdue() -> int:
    expired = 0
    for organization_id in _organizations_with_pending():
        with organization_scope(organization_id) as organization:
            if organization is not None:
                expired += services.expire_overdue_surveys(organization=organization)
    return expired


@shared_task(name="surveys.send_reminders")
def send_reminders() -> int:
    sent = 0
    for organization_id in _organizations_with_pending():
        with organization_scope(organization_id) as organization:
            if organization is not None:
                sent += services.send_survey_reminders(organization=organization)
    return sent


__all__ = ["expire_overdue", "send_reminders"]
