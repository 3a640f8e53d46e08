"""Create or update an organization's coaching opportunities from a JSON file, atomically."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from opportunities.imports import ImportRefused, import_opportunities
from tenancy.commands import organization_by_slug, read_json_file


class Command(BaseCommand):
    help = (
        "Create or update coaching opportunities by name from FILE (a JSON list; only name "
        "and condition are required). All or nothing: an invalid entry changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("file", help="Path of the JSON file ('-' for standard input).")

    def handle(self, *args, org, file, **options):
        organization = organization_by_slug(org)
        entries = read_json_file(file)
        with scope(organization=organization):
            try:
                summary = import_opportunities(organization=organization, entries=entries)
            except ImportRefused as error:
                raise CommandError(f"Nothing imported. {error.message}") from None
        self.stdout.write(
            f"Imported into {organization.name}: {summary.created} created, "
            f"{summary.updated} updated."
        )
