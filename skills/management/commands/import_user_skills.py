"""``manage.py import_user_skills --org SLUG FILE.csv [--create-missing] [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from skills.services import import_user_skills
from tenancy.models import Organization


class Command(BaseCommand):
    help = (
        "Load a skill inventory (CSV columns user, skill, level; optional parent, category) "
        "through award_skill with source import. All lines or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8) with a header line.")
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("--create-missing", action="store_true",
                            help="Create skills (and parents) the catalogue does not have.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check and report, change nothing.")

    def handle(self, *args, file, org, create_missing, dry_run, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization has the slug “{org}”.")
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text.") from None
        with scope(organization=organization):
            report = import_user_skills(organization=organization, csv_text=text,
                                        create_missing=create_missing, dry_run=dry_run)
        if report.errors:
            for line, message in report.errors:
                self.stderr.write(f"{path.name}:{line}: {message}")
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported.")
        self.stdout.write(self.style.SUCCESS(report.summary()))
