"""CSV import of work items: the command line and the browser upload share this code.

The file is streamed in chunks of 1,000 rows through :func:`upsert_work_items`, all inside
one transaction: the first bad row turns the rest of the file into a check-only pass, so
every error is listed (line and column) and nothing is written. An interaction's
``transcript`` is a JSON cell (the list of turns the API takes).
"""

import codecs
import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy import rls
from tenancy.background import enqueue
from tenancy.errors import ImportRefused
from tenancy.models import Organization, User

from ..enums import ImportStatus
from ..models import WorkImport
from .items import (
    MAX_BATCH,
    UpsertSummary,
    WorkItemsInvalid,
    upsert_work_items,
    validate_work_items,
)

REQUIRED_COLUMNS = ("external_id",)
# CSV column → work item field, for the columns whose names differ. The team may be given
# as ``team`` (the name used everywhere) or ``assignment_group`` (ServiceNow exports).
COLUMN_FIELDS = {"assignment_group": "team"}
FIELD_COLUMNS = {v: k for k, v in COLUMN_FIELDS.items()}
TEXT_COLUMNS = {
    "external_id", "kind", "state", "number", "short_description", "description", "category",
    "subcategory", "assignment_group", "team", "assigned_to", "resolved_by", "channel", "queue",
    "topic",
}
INT_COLUMNS = {"priority", "reassignment_count", "reopen_count", "handle_time_seconds"}
DATE_COLUMNS = {"opened_at", "resolved_at", "closed_at"}
FLAG_COLUMNS = {"escalated", "sla_breached"}
KNOWN_COLUMNS = (
    TEXT_COLUMNS | INT_COLUMNS | DATE_COLUMNS | FLAG_COLUMNS
    | {"sentiment", "skills", "transcript"}
)
# A transcript cell holds up to 2,000 turns of 10,000 characters; csv's default limit is
# 128 KiB per cell.
MAX_CELL_CHARS = 25_000_000
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}
MAX_LISTED_ERRORS = 1000

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows read, bytes read)


@dataclass(frozen=True)
class CsvError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def summary(self) -> str:
        verb = "Dry run, nothing written: would create" if self.dry_run else "Created"
        return (
            f"{verb} {self.created:,}, updated {self.updated:,}, unchanged "
            f"{self.unchanged:,} of {self.rows:,} rows in {self.seconds:.2f} s."
        )


class ImportFailed(Exception):
    """The file was refused; nothing was written. ``errors`` lists up to 1,000 errors."""

    def __init__(self, errors: list[CsvError], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} error(s); nothing was imported.")


@dataclass
class _Errors:
    listed: list[CsvError] = field(default_factory=list)
    total: int = 0

    def add(self, error: CsvError) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(error)


def _convert(column: str, value: str):
    """A CSV cell → the value the service expects; an empty cell clears the field."""
    value = value.strip()
    if column in ("kind", "state"):
        return value or _ABSENT
    if column == "external_id":
        return value
    if value == "":
        return None
    if column in INT_COLUMNS:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"“{value}” is not a whole number.") from None
    if column in FLAG_COLUMNS:
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"“{value}” is not true or false (use true/false, yes/no or 1/0).")
    if column in DATE_COLUMNS:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"“{value}” is not an ISO 8601 date and time (such as 2025-03-01T09:30:00Z)."
            ) from None
    if column == "sentiment":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"“{value}” is not a number from −1 to 1.") from None
    if column == "skills":
        return [name.strip() for name in value.split(";") if name.strip()]
    if column == "transcript":
        try:
            return json.loads(value)
        except ValueError as error:
            raise ValueError(
                f"The transcript is not valid JSON ({error}); write the list of turns, "
                f"such as [{{\"speaker\": \"agent\", \"text\": \"Hello\", \"at\": 0}}]."
            ) from None
    return value


_ABSENT = object()


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary stream, for the progress bar."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)


class _NotUtf8(Exception):
    def __init__(self, line: int, byte: int):
        self.line, self.byte = line, byte


def _decoded_lines(stream) -> Iterator[str]:
    """Decode line by line, so a byte that is not UTF-8 is reported on its own line."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _NotUtf8(number, raw[error.start]) from None


def _rows(stream, errors: _Errors) -> Iterator[tuple[int, dict, list[CsvError]]]:
    """Yield (line, item, cell errors) per data row; header problems go to ``errors``.

    A row that cannot be read at all yields an empty item with its error.
    """
    if csv.field_size_limit() < MAX_CELL_CHARS:
        csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(_decoded_lines(stream), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            errors.add(CsvError(1, None, "The file is empty; the first line must name the "
                                         "columns, including external_id."))
            return
        columns = [name.strip() for name in header]
        lowered = [name.lower() for name in columns]
        keys = [name if name in KNOWN_COLUMNS else columns[i] for i, name in enumerate(lowered)]
        for required in REQUIRED_COLUMNS:
            if required not in keys:
                errors.add(CsvError(1, required, f"The required column {required} is missing."))
        if "team" in keys and "assignment_group" in keys:
            errors.add(CsvError(1, "assignment_group", "The columns team and assignment_group "
                                                       "both name the team; keep one."))
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        for name in duplicates:
            errors.add(CsvError(1, name, "This column appears more than once."))
        if any(not name for name in keys):
            errors.add(CsvError(1, None, "Every column needs a name in the first line."))
        if errors.total:
            return
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(keys):
                yield start, {}, [CsvError(
                    start, None, f"This row has {len(row)} cells; the header has {len(keys)}."
                )]
                continue
            item, attributes, cell_errors = {}, {}, []
            for key, cell in zip(keys, row, strict=True):
                if key not in KNOWN_COLUMNS:
                    attributes[key] = cell if cell.strip() else None
                    continue
                try:
                    value = _convert(key, cell)
                except ValueError as error:
                    cell_errors.append(CsvError(start, key, str(error)))
                    continue
                if value is not _ABSENT:
                    item[COLUMN_FIELDS.get(key, key)] = value
            if attributes:
                item["attributes"] = attributes
            yield start, item, cell_errors
    except _NotUtf8 as error:
        errors.add(CsvError(error.line, None, (
            f"The file is not UTF-8 text (byte 0x{error.byte:02x} cannot be read). "
            f"Save it as CSV UTF-8 and try again."
        )))
    except csv.Error as error:
        errors.add(CsvError(reader.line_num, None, f"The file is not valid CSV: {error}."))


def import_work_items_csv(
    *,
    organization: Organization,
    stream,
    create_missing: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV file (a binary stream) of work items, all or nothing.

    Side effects: as :func:`upsert_work_items` for every row, in one transaction; events
    are dispatched after commit. With ``dry_run`` everything is checked and then rolled
    back. Raises :class:`ImportFailed` with every error (line and column) if any row is
    bad; the transaction is then rolled back.
    """
    started = time.monotonic()
    counter = _CountingReader(stream)
    buffered = io.BufferedReader(counter, buffer_size=256 * 1024)
    errors = _Errors()
    result = ImportResult(dry_run=dry_run)
    seen: dict[str, int] = {}
    chunk: list[tuple[int, dict]] = []

    def flush() -> None:
        items = [item for _line, item in chunk]
        lines = [line for line, _item in chunk]
        try:
            if errors.total:
                validate_work_items(organization=organization, items=items,
                                    create_missing=create_missing)
            else:
                result_chunk = upsert_work_items(
                    organization=organization, items=items, create_missing=create_missing
                )
                _add(result, result_chunk)
        except WorkItemsInvalid as invalid:
            for error in invalid.errors:
                line = lines[error.index] if error.index is not None else 1
                errors.add(CsvError(line, FIELD_COLUMNS.get(error.field, error.field),
                                    error.message))
        result.rows += len(chunk)
        chunk.clear()
        if progress is not None:
            progress(result.rows, counter.count)

    with transaction.atomic():
        for line, item, cell_errors in _rows(buffered, errors):
            for error in cell_errors:
                errors.add(error)
            if not item:
                continue
            external_id = item.get("external_id")
            if external_id:
                if external_id in seen:
                    errors.add(CsvError(line, "external_id", (
                        f"“{external_id}” appears twice in this file (first on line "
                        f"{seen[external_id]})."
                    )))
                    continue
                seen[external_id] = line
            # A row with bad cells still goes through validation (without those cells), so
            # its other errors are listed too; the import is refused either way.
            chunk.append((line, item))
            if len(chunk) >= MAX_BATCH:
                flush()
        if chunk:
            flush()
        result.seconds = time.monotonic() - started
        if errors.total:
            transaction.set_rollback(True)
            raise ImportFailed(sorted(errors.listed, key=lambda e: e.line), errors.total)
        if dry_run:
            transaction.set_rollback(True)
    return result


def _add(result: ImportResult, summary: UpsertSummary) -> None:
    result.created += summary.created
    result.updated += summary.updated
    result.unchanged += summary.unchanged


# --- the browser upload, run as a Celery job ---------------------------------------------


def progress_key(work_import_id: int) -> str:
    return f"work-import-progress:{work_import_id}"


def import_progress(work_import: WorkImport) -> dict:
    """Rows and percentage done of an import. The status comes from the database; the
    running job's progress from the cache, and without a cache (Redis down) the page
    still answers, with the progress unknown."""
    if work_import.is_finished:
        return {"rows": work_import.rows, "percent": 100}
    data = _quietly(cache.get, progress_key(work_import.pk)) or {}
    rows, done = data.get("rows", 0), data.get("bytes", 0)
    percent = int(done * 100 / work_import.size) if work_import.size else 0
    return {"rows": rows, "percent": min(percent, 99)}


def start_work_import(
    *,
    organization: Organization,
    upload: File,
    filename: str | None = None,
    create_missing: bool = False,
    dry_run: bool = False,
    created_by: User | None = None,
) -> WorkImport:
    """Record an uploaded CSV and enqueue the job that imports it (after commit).

    Side effects: copies the upload to ``MEDIA_ROOT`` in chunks (a large upload Django
    already spooled to a temporary file is moved, never read into memory) and saves the
    :class:`WorkImport` row, queued; after commit enqueues :func:`run_work_import`. A
    broker error is logged, not raised: the import stays queued and the sweeper
    (:func:`redispatch_queued_imports`) sends it again. Raises :class:`ImportRefused` for
    an empty or oversized file.
    """
    limit = settings.WORK_IMPORT_MAX_UPLOAD_BYTES
    size = upload.size or 0
    if not size:
        raise ImportRefused("The file is empty.")
    if size > limit:
        raise ImportRefused(
            f"The file is {size:,} bytes; uploads are limited to {limit:,} bytes. "
            f"Use manage.py import_work_items for larger files."
        )
    work_import = WorkImport(
        organization=organization, filename=(filename or upload.name or "upload.csv")[:255],
        size=size, create_missing=create_missing, dry_run=dry_run, created_by=created_by,
    )
    work_import.file.save("upload.csv", upload, save=False)
    try:
        with transaction.atomic():
            work_import.save()
            transaction.on_commit(partial(dispatch_import, organization.pk, work_import.pk))
    except BaseException:
        work_import.file.delete(save=False)
        raise
    return work_import


def dispatch_import(organization_id: int, work_import_id: int) -> None:
    """Enqueue an import's job; a broker error is logged, the sweeper sends it later."""
    try:
        enqueue("work.run_import", organization_id=organization_id,
                work_import_id=work_import_id)
    except Exception:
        logger.warning("Could not enqueue work import %s; the sweeper will re-dispatch it.",
                       work_import_id, exc_info=True)


def redispatch_queued_imports(*, older_than: timedelta | None = None) -> int:
    """Send again every import still queued since its last dispatch (all tenants): its
    job never ran (the broker was down, or the message was lost). Running the job twice
    is harmless (it claims only a queued import). Returns how many were re-sent."""
    if older_than is None:
        older_than = timedelta(seconds=settings.WORK_EVENT_REDISPATCH_AFTER_SECONDS)
    now = timezone.now()
    with scopes_disabled(), rls.platform("import sweeper"), transaction.atomic():
        rows = list(
            WorkImport.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ImportStatus.QUEUED, dispatched_at__lt=now - older_than)
            .order_by("dispatched_at").values_list("pk", "organization_id")
        )
        if not rows:
            return 0
        WorkImport.objects.filter(pk__in=[pk for pk, _org in rows]).update(
            dispatched_at=now, dispatch_count=F("dispatch_count") + 1
        )
        for pk, organization_id in rows:
            transaction.on_commit(partial(dispatch_import, organization_id, pk))
    logger.info("Re-dispatched %d queued work imports.", len(rows))
    return len(rows)


def run_work_import(*, work_import_id: int) -> WorkImport | None:
    """Run a queued import (the Celery job). Safe to run twice: only a queued import is
    claimed, by a conditional update. Streams the stored file; writes status and counts
    when done and deletes the file."""
    claimed = WorkImport.objects.filter(pk=work_import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    work_import = WorkImport.objects.select_related("organization").get(pk=work_import_id)
    key = progress_key(work_import.pk)

    def progress(rows: int, done: int) -> None:
        _quietly(cache.set, key, {"rows": rows, "bytes": done}, timeout=24 * 3600)

    try:
        with work_import.file.open("rb") as stream:
            result = import_work_items_csv(
                organization=work_import.organization, stream=stream,
                create_missing=work_import.create_missing, dry_run=work_import.dry_run,
                progress=progress,
            )
    except ImportFailed as failed:
        work_import.status = ImportStatus.FAILED
        work_import.errors = [error.as_dict() for error in failed.errors]
        work_import.error_count = failed.total
    except FileNotFoundError:
        logger.exception("The file of work import %s is missing", work_import.pk)
        work_import.status = ImportStatus.FAILED
        work_import.errors = [{"line": None, "column": None, "message": (
            "The uploaded file is missing on the worker (web and workers must share "
            "MEDIA_ROOT). Upload it again."
        )}]
        work_import.error_count = 1
    except Exception:
        # Leave no import "running" forever; the worker log has the traceback.
        work_import.status = ImportStatus.FAILED
        work_import.errors = [{"line": None, "column": None,
                               "message": "The import stopped on an unexpected error."}]
        work_import.error_count = 1
        _finish(work_import, key)
        raise
    else:
        work_import.status = ImportStatus.SUCCEEDED
        work_import.rows = result.rows
        work_import.created_count = result.created
        work_import.updated_count = result.updated
        work_import.unchanged_count = result.unchanged
    _finish(work_import, key)
    return work_import


def _finish(work_import: WorkImport, key: str) -> None:
    work_import.finished_at = timezone.now()
    if work_import.file:
        work_import.file.delete(save=False)
    work_import.save()
    _quietly(cache.delete, key)


def _quietly(operation, *args, **kwargs):
    """A cache call for the progress bar, a nicety: without the cache (Redis down) the
    import and its status page go on, with the progress unknown."""
    try:
        return operation(*args, **kwargs)
    except Exception as error:
        logger.warning("Import progress cache unavailable: %r", error)
        return None
