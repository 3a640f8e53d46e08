"""The JSON-lines import of interactions with their transcripts (``manage.py
import_transcripts``): one interaction per line, checked in full before anything is
written, then written in batches through :func:`work.services.items.upsert_work_items`.
"""

import codecs
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction

from tenancy.models import Organization

from ..enums import INTERACTION_KINDS
from .items import UpsertSummary, WorkItemsInvalid, upsert_work_items, validate_work_items

BATCH = 500


@dataclass(frozen=True)
class LineError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class TranscriptImportResult:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    dry_run: bool = False

    def add(self, summary: UpsertSummary) -> None:
        self.created += summary.created
        self.updated += summary.updated
        self.unchanged += summary.unchanged

    def summary(self) -> str:
        verb = "Dry run, nothing written: would create" if self.dry_run else "Created"
        return (f"{verb} {self.created:,}, updated {self.updated:,}, unchanged "
                f"{self.unchanged:,} of {self.lines:,} interactions in {self.seconds:.2f} s.")


class TranscriptImportRefused(Exception):
    """The file was checked and refused; nothing was written. ``errors`` lists up to
    ``MAX_LISTED`` errors, ``total`` counts them all."""

    MAX_LISTED = 1000

    def __init__(self, errors: list[LineError], total: int):
        self.errors, self.total = errors, total
        super().__init__(f"{total} error(s); nothing was written.")


class TranscriptImportStopped(Exception):
    """A batch failed while writing (the data changed after the check); the batches
    before it stay written. ``written`` counts them, ``last_line`` is the last line
    written (0 for none), ``errors`` what stopped the batch."""

    def __init__(self, written: TranscriptImportResult, last_line: int,
                 errors: list[LineError]):
        self.written, self.last_line, self.errors = written, last_line, errors
        super().__init__(f"Stopped after line {last_line}.")


class _NotUtf8(Exception):
    pass


def _lines(stream) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-blank line of a binary stream."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _NotUtf8(number, f"This line is not UTF-8 text (byte 0x"
                                   f"{raw[error.start]:02x} cannot be read).") from None
        if text.strip():
            yield number, text


def _parse(number: int, text: str) -> tuple[dict | None, LineError | None]:
    try:
        value = json.loads(text)
    except ValueError as error:
        return None, LineError(number, None, f"Not valid JSON: {error}.")
    if not isinstance(value, dict):
        return None, LineError(number, None, "Each line is one interaction (a JSON object).")
    if "transcript" not in value:
        return None, LineError(number, "transcript", "Each line needs a transcript (a list of "
                                                     "turns, or [] to remove one).")
    kind = value.get("kind")
    if kind is None:
        return None, LineError(number, "kind", "Each line needs the kind of the interaction: "
                                               "call, chat or email.")
    if kind not in INTERACTION_KINDS:
        shown = kind if isinstance(kind, str) else json.dumps(kind)
        return None, LineError(number, "kind", f"“{shown[:40]}” is not an interaction; use "
                                               "call, chat or email.")
    return value, None


def _batches(stream, errors: list[LineError], counter: list[int]
             ) -> Iterator[list[tuple[int, dict]]]:
    """Batches of (line, item) of the parseable lines; unparseable ones go to ``errors``;
    an external_id seen before is an error of its line."""
    seen: dict[str, int] = {}
    batch: list[tuple[int, dict]] = []
    try:
        for number, text in _lines(stream):
            counter[0] += 1
            item, error = _parse(number, text)
            if error is not None:
                errors.append(error)
                continue
            external_id = item.get("external_id")
            if isinstance(external_id, str) and external_id.strip():
                key = external_id.strip()
                if key in seen:
                    errors.append(LineError(number, "external_id", (
                        f"“{key}” appears twice in this file (first on line {seen[key]})."
                    )))
                    continue
                seen[key] = number
            batch.append((number, item))
            if len(batch) >= BATCH:
                yield batch
                batch = []
    except _NotUtf8 as error:
        line, message = error.args
        errors.append(LineError(line, None, message))
        return
    if batch:
        yield batch


def _line_errors(batch: list[tuple[int, dict]], invalid: WorkItemsInvalid) -> list[LineError]:
    first = batch[0][0] if batch else 1
    return [LineError(batch[e.index][0] if e.index is not None else first, e.field, e.message)
            for e in invalid.errors]


def _items(batch: list[tuple[int, dict]]) -> list[dict]:
    return [item for _line, item in batch]


def import_transcripts_jsonl(
    *, organization: Organization, path: str, dry_run: bool = False,
) -> TranscriptImportResult:
    """Create or update interactions with their transcripts from a JSON-lines file.

    Two passes over the file, streamed: the first checks every line (through the same
    checks as the API, in batches of 500, without writing) and refuses the whole file
    with :class:`TranscriptImportRefused` when any line is bad; the second writes the
    batches through :func:`upsert_work_items`, one transaction each (events dispatched
    after each commit). Should a batch be refused in the second pass (the data changed
    in between, e.g. a member was removed), :class:`TranscriptImportStopped` says what
    was written before it. With ``dry_run`` both passes run inside one transaction that
    is rolled back, so the counts are exact and nothing is kept.
    """
    started = time.monotonic()
    errors: list[LineError] = []
    counter = [0]
    with open(path, "rb") as stream:
        for batch in _batches(stream, errors, counter):
            try:
                validate_work_items(organization=organization, items=_items(batch))
            except WorkItemsInvalid as invalid:
                errors.extend(_line_errors(batch, invalid))
    if errors:
        errors.sort(key=lambda e: e.line)
        raise TranscriptImportRefused(errors[:TranscriptImportRefused.MAX_LISTED], len(errors))
    result = TranscriptImportResult(lines=counter[0], dry_run=dry_run)
    if dry_run:
        with transaction.atomic():
            _write(organization, path, result)
            transaction.set_rollback(True)
    else:
        _write(organization, path, result)
    result.seconds = time.monotonic() - started
    return result


def _write(organization: Organization, path: str, result: TranscriptImportResult) -> None:
    written = TranscriptImportResult()
    last_line = 0
    with open(path, "rb") as stream:
        for batch in _batches(stream, [], [0]):
            try:
                summary = upsert_work_items(organization=organization, items=_items(batch))
            except WorkItemsInvalid as invalid:
                raise TranscriptImportStopped(written, last_line,
                                              _line_errors(batch, invalid)) from None
            written.add(summary)
            last_line = batch[-1][0]
    result.add(written)
