"""Create an API token for an organization; the token is printed alone on the last line."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from tenancy import services
from tenancy.models import Organization, User


class Command(BaseCommand):
    help = "Create an API token for an organization. The token is shown once: keep it."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--name", required=True, help="Label: who or what uses the token.")
        parser.add_argument(
            "--user", default=None, metavar="USERNAME",
            help="Make it this member's personal token: it acts as them and reaches only "
                 "the operations that accept personal tokens.")

    def handle(self, *args, org, name, user=None, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        person = None
        if user is not None:
            person = User.objects.filter(username=user).first()
            if person is None:
                raise CommandError(f"No user with username “{user}”.")
        with scope(organization=organization):
            try:
                token, raw = services.create_api_token(organization=organization, name=name,
                                                       user=person)
            except services.TenancyError as error:
                raise CommandError(error.message) from None
        whose = f"{person.username}'s personal token" if person else "Token"
        self.stderr.write(f"{whose} “{token.name}” for {organization.name} (shown once):")
        self.stdout.write(raw)
