"""Apply an organization's retention policy now (what the nightly task does), or show
what it would do with --dry-run."""

from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Organization
from tenancy.scoping import organization_scope

from ...retention import apply_retention


class Command(BaseCommand):
    help = (
        "Apply the organization's retention policy: remove transcript text, delete closed "
        "work items and access records, and anonymise or delete evaluations older than the "
        "periods set on its Retention settings page. Kinds without a period are kept. "
        "--dry-run prints what would change (counts, the oldest date, a few identifiers) "
        "and changes nothing. Every run is recorded in the privacy audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Show what would be removed or anonymised; change nothing.")

    def handle(self, *args, org, dry_run, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        with organization_scope(organization.pk) as scoped:
            run = apply_retention(organization=scoped, dry_run=dry_run,
                                  requested_by="apply_retention command"
                                               + (" (dry run)" if dry_run else ""))
        heading = "Dry run: nothing was changed." if dry_run else "Retention applied."
        self.stdout.write(f"{heading} Organization {organization.slug}:")
        for outcome in run.outcomes:
            self.stdout.write(f"  {outcome.sentence(dry_run=dry_run)}")
        total = run.changed
        summary = (f"{'Would change' if dry_run else 'Changed'} {total} "
                   f"row{'' if total == 1 else 's'} in all.")
        self.stdout.write(self.style.SUCCESS(summary))
