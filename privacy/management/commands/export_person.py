"""Subject access: write everything one organization holds about one person to a zip."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from privacy.subject import SubjectError, find_organization, find_subject
from privacy.subject_export import export_person
from tenancy.scoping import organization_scope


class Command(BaseCommand):
    help = ("Export all data one organization holds about one person: a zip with data.json "
            "(everything, with readable labels) and one CSV per model. Recorded in the "
            "organization's privacy audit trail.")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--user", required=True,
                            help="The person: a username or an e-mail address.")
        parser.add_argument("--output", default=None, metavar="PATH.zip",
                            help="Where to write the zip (default: "
                                 "subject-access-<org>-<user>-<time>.zip here).")

    def handle(self, *args, org, user, output=None, **options):
        try:
            organization = find_organization(org)
            with organization_scope(organization):
                subject = find_subject(organization=organization, reference=user)
                export = export_person(subject=subject, path=output,
                                       requested_by=f"manage.py export_person "
                                                    f"(system user {getpass.getuser()})")
        except SubjectError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Could not write the zip: {error}") from None
        total = sum(export.counts.values())
        self.stdout.write(self.style.SUCCESS(
            f"Exported {total} rows about {subject.user.username} in {organization.name} "
            f"to {export.path}"))
        for label, count in export.counts.items():
            self.stdout.write(f"  {label}: {count}")
