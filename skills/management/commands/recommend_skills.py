"""Rebuild an organization's skill recommendations now (the nightly job, synchronously)."""

import contextlib
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from tenancy.models import Organization

from ... import selectors, services


class Command(BaseCommand):
    help = (
        "Refit the organization's text index over its resolved work items, predict the skills "
        "of untagged items and create the recommendations that reached their threshold. With "
        "--json, print one JSON object per pending recommendation and nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Slug of the organization.")
        parser.add_argument("--threshold", type=int, default=None,
                            help="Use this count instead of the organization's default "
                                 "(a skill's own threshold still wins).")
        parser.add_argument("--json", action="store_true",
                            help="Print the pending recommendations as JSON lines.")

    def handle(self, *args, org, threshold, **options):
        as_json = options["json"]
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug “{org}”.")
        if threshold is not None and threshold < 1:
            raise CommandError("--threshold must be at least 1.")
        # With --json stdout carries the JSON lines only: anything else the rebuild prints
        # (a console e-mail backend writing the coaches' notifications) goes to stderr.
        quiet = contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext()
        with scope(organization=organization):
            with quiet:
                report = services.rebuild_recommendations(organization=organization,
                                                          threshold=threshold)
            if as_json:
                for rec in selectors.recommendations(organization=organization,
                                                     state="pending"):
                    self.stdout.write(_line(rec))
                return
        rule = report.rule
        self.stdout.write(self.style.SUCCESS(
            f"{report.resolved:,} resolved items ({report.tagged:,} tagged, "
            f"{report.predicted:,} with predicted skills): {len(rule.created):,} new "
            f"recommendations, {rule.updated:,} updated, {rule.superseded:,} superseded."
        ))


def _line(rec) -> str:
    return json.dumps({
        "agent": rec.user.username, "skill": rec.skill.name, "count": rec.count,
        "threshold": rec.threshold, "evidence": rec.evidence_ids, "score": rec.score,
    }, ensure_ascii=False)
