"""Erasure: anonymise one person in one organization, keeping its aggregates."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from privacy.subject import SubjectError, find_organization, find_subject
from privacy.subject_erasure import erase_person
from tenancy.scoping import organization_scope


class Command(BaseCommand):
    help = ("Anonymise one person in one organization: their rows point at a pseudonymous "
            "identity (\"Erased person N\") so counts and averages stay, the text they wrote "
            "or that is about them is erased, their name is replaced everywhere, and they "
            "stop being a member. Cannot be undone. Recorded in the privacy audit trail.")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--user", required=True,
                            help="The person: a username or an e-mail address.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Show what would change; change nothing.")
        parser.add_argument("--yes", action="store_true",
                            help="Confirm the erasure (required unless --dry-run).")

    def handle(self, *args, org, user, dry_run=False, yes=False, **options):
        if not dry_run and not yes:
            raise CommandError("Erasure cannot be undone: run it with --dry-run to see what "
                               "would change, then again with --yes.")
        try:
            organization = find_organization(org)
            with organization_scope(organization):
                subject = find_subject(organization=organization, reference=user)
                name = subject.user.username
                erasure = erase_person(
                    subject=subject, dry_run=dry_run,
                    requested_by=f"manage.py erase_person (system user {getpass.getuser()})")
        except SubjectError as error:
            raise CommandError(str(error)) from None
        if dry_run:
            self.stdout.write(f"Dry run: nothing was changed. Erasing {name} in "
                              f"{organization.name} would make them “{erasure.pseudonym_label}”:")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Erased {name} in {organization.name}: now “{erasure.pseudonym_label}” "
                f"(audit record #{erasure.request.pk})."))
        for section, counts in erasure.summary.items():
            if not isinstance(counts, dict) or not counts:
                continue
            self.stdout.write(f"  {section.replace('_', ' ')}:")
            for label, count in counts.items():
                self.stdout.write(f"    {label}: {count}")
        if not dry_run:
            self.stdout.write("  The account itself was emptied (no other organization)."
                              if erasure.account_emptied else
                              "  The account belongs to another organization: only this "
                              "organization's data changed.")
