"""Import interactions with their transcripts from a JSON-lines file (see ``--help``)."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from tenancy.models import Organization
from work.services import transcript_import


class Command(BaseCommand):
    help = (
        "Create or update interactions (calls, chats, e-mails) with their transcripts from "
        "a UTF-8 JSON-lines file, one interaction per line: {\"external_id\": \"…\", "
        "\"kind\": \"call\"|\"chat\"|\"email\", \"transcript\": [{\"speaker\": "
        "\"agent\"|\"customer\"|\"system\", \"text\": \"…\", \"at\": <seconds>}, …], and any "
        "other field the work-items API takes (assigned_to, state, opened_at, queue, topic, "
        "handle_time_seconds…)}. The whole file is checked first: a bad line refuses it "
        "(every error with its line and field) and nothing is written. Then it is written "
        f"in batches of {transcript_import.BATCH} lines, one transaction each."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("file", help="Path of the JSON-lines file.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check and count everything, then roll back.")

    def handle(self, *args, org, file, dry_run, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        try:
            with scope(organization=organization):
                result = transcript_import.import_transcripts_jsonl(
                    organization=organization, path=file, dry_run=dry_run,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except transcript_import.TranscriptImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            if refused.total > len(refused.errors):
                self.stderr.write(f"… and {refused.total - len(refused.errors):,} more errors.")
            raise CommandError(
                f"{refused.total:,} error(s) in {file}; nothing was written."
            ) from None
        except transcript_import.TranscriptImportStopped as stopped:
            for error in stopped.errors:
                self.stderr.write(str(error))
            written = stopped.written
            if stopped.last_line:
                done = (f"Lines 1–{stopped.last_line:,} were written (created "
                        f"{written.created:,}, updated {written.updated:,}, unchanged "
                        f"{written.unchanged:,}); nothing after line {stopped.last_line:,}.")
            else:
                done = "Nothing was written."
            raise CommandError(
                f"The data changed while {file} was being imported and a batch was refused. "
                f"{done} Fix the lines above and run the command again (written lines come "
                f"out unchanged)."
            ) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
