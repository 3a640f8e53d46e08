"""Allocate a week's audits to the evaluators' queues now (what the daily job does)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from tenancy.models import Organization
from tenancy.scoping import organization_scope

from ...services.allocation import allocate_week, current_week


class Command(BaseCommand):
    help = (
        "Sample the week's interactions for manual audit (the organization's audits per agent "
        "and per evaluator) and add them to the evaluators' audit queues. Safe to repeat: "
        "what was allocated before counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--week", default=None,
                            help="A day of the week to allocate (YYYY-MM-DD); default: this "
                                 "week.")

    def handle(self, *args, org, week, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        try:
            day = date.fromisoformat(week) if week else current_week(organization)
        except ValueError:
            raise CommandError(f"--week must be a date YYYY-MM-DD; got “{week}”.") from None
        with organization_scope(organization.pk) as scoped:
            summary = allocate_week(organization=scoped, week_start=day)
        self.stdout.write(self.style.SUCCESS(
            f"Week of {summary.week:%Y-%m-%d}: {summary.assigned} audits allocated; "
            f"{summary.agents_covered} of {summary.agents} agents covered; "
            f"shortfall {summary.shortfall}."
        ))
