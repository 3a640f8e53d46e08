"""Every write to work items, their events and imports goes through this package."""

from .events import (
    dispatch_events,
    process_work_event,
    process_work_events,
    redispatch_stale_events,
    retry_work_events,
)
from .imports import (
    CsvError,
    ImportFailed,
    ImportRefused,
    ImportResult,
    dispatch_import,
    import_progress,
    import_work_items_csv,
    redispatch_queued_imports,
    run_work_import,
    start_work_import,
)
from .items import (
    MAX_BATCH,
    ItemError,
    UpsertSummary,
    WorkItemsInvalid,
    upsert_work_item,
    upsert_work_items,
    validate_work_items,
)

__all__ = [
    "MAX_BATCH",
    "CsvError",
    "ImportFailed",
    "ImportRefused",
    "ImportResult",
    "ItemError",
    "UpsertSummary",
    "WorkItemsInvalid",
    "dispatch_events",
    "dispatch_import",
    "import_progress",
    "import_work_items_csv",
    "process_work_event",
    "process_work_events",
    "redispatch_queued_imports",
    "redispatch_stale_events",
    "retry_work_events",
    "run_work_import",
    "start_work_import",
    "upsert_work_item",
    "upsert_work_items",
    "validate_work_items",
]
