"""Thin Celery tasks for the outbox and browser imports; the work is in services.

Services enqueue these by name (:func:`tenancy.background.enqueue`), so they never import
this module. The two sweepers are platform-wide on purpose: one query finds the stale
events and imports of every tenant, and each is re-sent to its tenant's task.
"""

from celery import shared_task

from tenancy.background import TenantTask
from tenancy.models import Organization

from . import services


@shared_task(base=TenantTask, name="work.process_events")
def process_work_events(*, organization: Organization, event_ids: list[int]) -> int:
    return services.process_work_events(organization=organization, event_ids=event_ids)


@shared_task(name="work.sweep_unprocessed_events")
def sweep_unprocessed_events() -> int:
    return services.redispatch_stale_events()


@shared_task(name="work.sweep_queued_imports")
def sweep_queued_imports() -> int:
    return services.redispatch_queued_imports()


@shared_task(base=TenantTask, name="work.run_import")
def run_work_import(*, organization: Organization, work_import_id: int) -> str | None:
    work_import = services.run_work_import(work_import_id=work_import_id)
    return work_import.status if work_import else None


__all__ = [
    "process_work_events", "run_work_import", "sweep_queued_imports", "sweep_unprocessed_events",
]
