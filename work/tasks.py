"""Thin Celery tasks for the outbox and browser imports; the work is in services."""

from celery import shared_task

from tenancy.scoping import organization_scope

from . import services


@shared_task(name="work.process_events")
def process_work_events(*, organization_id: int, event_ids: list[int]) -> int:
    with organization_scope(organization_id) as organization:
        if organization is None:
            return 0
        return services.process_work_events(organization=organization, event_ids=event_ids)


@shared_task(name="work.sweep_unprocessed_events")
def sweep_unprocessed_events() -> int:
    return services.redispatch_stale_events()


@shared_task(name="work.sweep_queued_imports")
def sweep_queued_imports() -> int:
    return services.redispatch_queued_imports()


@shared_task(name="work.run_import")
def run_work_import(*, organization_id: int, work_import_id: int) -> str | None:
    with organization_scope(organization_id) as organization:
        if organization is None:
            return None
        work_import = services.run_work_import(work_import_id=work_import_id)
        return work_import.status if work_import else None


__all__ = [
    "process_work_events", "run_work_import", "sweep_queued_imports", "sweep_unprocessed_events",
]
