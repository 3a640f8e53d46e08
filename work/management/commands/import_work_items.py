"""Import work items from a CSV file, all or nothing (see ``--help`` for the columns)."""

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from tenancy.models import Organization
from work import services
from work.services.imports import KNOWN_COLUMNS

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Import work items from a UTF-8 CSV file. Columns: external_id (required), "
        + ", ".join(sorted(KNOWN_COLUMNS - {"external_id"}))
        + ". Any other column goes into the item's attributes. Users by username or e-mail, "
        "assignment_group by team name, skills separated by ';', dates in ISO 8601. Rows "
        "update the item with the same external_id; an empty cell clears the field. "
        "A bad row aborts the whole import: every error is listed and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("file", help="Path of the CSV file.")
        parser.add_argument("--create-missing", action="store_true",
                            help="Create unknown teams, agents (members with role agent) "
                                 "and skills instead of refusing the rows.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check everything and report, then roll back.")

    def handle(self, *args, org, file, create_missing, dry_run, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        try:
            stream = open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        size = os.fstat(stream.fileno()).st_size
        bar = _ProgressBar(self.stderr, size) if _is_terminal(self.stderr) else None
        try:
            with stream, scope(organization=organization):
                result = services.import_work_items_csv(
                    organization=organization, stream=stream, create_missing=create_missing,
                    dry_run=dry_run, progress=bar.update if bar else None,
                )
        except services.ImportFailed as failed:
            if bar:
                bar.finish()
            for error in failed.errors:
                self.stderr.write(str(error))
            if failed.total > len(failed.errors):
                self.stderr.write(f"… and {failed.total - len(failed.errors):,} more errors.")
            raise CommandError(
                f"{failed.total:,} error(s) in {file}; nothing was imported."
            ) from None
        if bar:
            bar.finish()
        self.stdout.write(self.style.SUCCESS(result.summary()))


def _is_terminal(stream) -> bool:
    raw = getattr(stream, "_out", stream)
    return hasattr(raw, "isatty") and raw.isatty()


class _ProgressBar:
    """A one-line progress bar on a terminal: share of the file read, rows, rows/s."""

    def __init__(self, out, total_bytes: int):
        self.out = getattr(out, "_out", sys.stderr)
        self.total = max(total_bytes, 1)
        self.started = time.monotonic()

    def update(self, rows: int, done: int) -> None:
        share = min(done / self.total, 1.0)
        filled = int(share * BAR_WIDTH)
        rate = rows / max(time.monotonic() - self.started, 1e-6)
        self.out.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}  {rows:,} rows  "
            f"{rate:,.0f} rows/s"
        )
        self.out.flush()

    def finish(self) -> None:
        self.out.write("\n")
        self.out.flush()
