"""Create an organization and its first org admin; print a set-password link."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy import services


class Command(BaseCommand):
    help = "Create an organization (tenant) and its first organization admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Address of the organization: lowercase, digits, hyphens.")
        parser.add_argument("--name", required=True, help="Display name of the organization.")
        parser.add_argument("--admin-email", required=True, help="E-mail of the first admin.")
        parser.add_argument("--timezone", default="UTC", help="IANA time zone (default UTC).")

    def handle(self, *args, slug, name, admin_email, timezone, **options):
        try:
            organization, admin = services.set_up_organization(
                name=name, slug=slug, timezone=timezone, admin_email=admin_email
            )
        except ValidationError as error:
            messages = [
                f"{field}: {msg}" if field != "__all__" else msg
                for field, msgs in error.message_dict.items()
                for msg in msgs
            ] if hasattr(error, "error_dict") else error.messages
            raise CommandError("Nothing was created. " + " ".join(messages)) from None
        link = services.password_set_link(admin, base_url=settings.SITE_URL)
        self.stdout.write(
            self.style.SUCCESS(f"Created {organization.name} at /o/{organization.slug}/")
        )
        self.stdout.write(f"Admin: {admin.username}")
        self.stdout.write(f"Set a password: {link}")
