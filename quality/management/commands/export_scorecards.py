"""Print every current scorecard of an organization as JSON (the import format)."""

import json

from django.core.management.base import BaseCommand
from django_scopes import scope

from quality.services.scorecards import export_scorecards
from tenancy.commands import organization_by_slug


class Command(BaseCommand):
    help = "Print the organization's current scorecards as JSON (see import_scorecards)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")

    def handle(self, *args, org, **options):
        organization = organization_by_slug(org)
        with scope(organization=organization):
            data = export_scorecards(organization)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
