"""Recompute an organization's routing state (open items per agent and kind, last
assignments) from its work items and events."""

from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Organization
from tenancy.scoping import organization_scope

from ... import services
from ...models import AgentOpenItems, AgentRoutingState


class Command(BaseCommand):
    help = (
        "Recompute the organization's routing state from its work items and events. Ingest "
        "keeps it up to date by itself; run this after writing work around ingest (a bulk "
        "load in SQL, a restore of part of a database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")

    def handle(self, *args, org, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        with organization_scope(organization):
            services.rebuild_routing_state(organization=organization)
            agents = AgentRoutingState.objects.filter(organization=organization).count()
            counts = AgentOpenItems.objects.filter(organization=organization,
                                                   open_items__gt=0).count()
        self.stdout.write(self.style.SUCCESS(
            f"Routing state of {organization.name} rebuilt: {agents} agent(s) with a last "
            f"assignment, {counts} agent and kind pair(s) with open items."
        ))
