"""Create an API token for an organization; the token is printed alone on the last line."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from tenancy import services
from tenancy.models import Organization


class Command(BaseCommand):
    help = "Create an API token for an organization. The token is shown once: keep it."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--name", required=True, help="Label: who or what uses the token.")

    def handle(self, *args, org, name, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        with scope(organization=organization):
            try:
                token, raw = services.create_api_token(organization=organization, name=name)
            except services.TenancyError as error:
                raise CommandError(error.message) from None
        self.stderr.write(f"Token “{token.name}” for {organization.name} (shown once):")
        self.stdout.write(raw)
