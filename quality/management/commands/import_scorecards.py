"""Create or update an organization's scorecards from a JSON file, atomically."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from quality.services.scorecards import import_scorecards
from tenancy.errors import ImportRefused
from tenancy.models import Organization


class Command(BaseCommand):
    help = (
        "Create or update scorecards by name from FILE (a JSON list, the format "
        "export_scorecards prints). A scorecard with evaluations gets a new version. All or "
        "nothing: an invalid scorecard changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("file", help="Path of the JSON file ('-' for standard input).")

    def handle(self, *args, org, file, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        try:
            if file == "-":
                entries = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8") as handle:
                    entries = json.load(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{file} is not valid JSON (line {error.lineno}, column {error.colno}: "
                f"{error.msg})."
            ) from None
        with scope(organization=organization):
            try:
                summary = import_scorecards(organization=organization, entries=entries)
            except ImportRefused as error:
                raise CommandError(f"Nothing imported. {error.message}") from None
        self.stdout.write(
            f"Imported into {organization.name}: {summary.created} created, "
            f"{summary.updated} updated, {summary.unchanged} unchanged."
        )
