"""Seed the demo tenants: ``acme`` (3 teams, coaches, agents…) and a small ``globex``.

Idempotent: running it again finds what exists and adds only what is missing. Later
features extend the demo through :data:`tenancy.extensions.demo_seeders`.
"""

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from tenancy import demo


class Command(BaseCommand):
    help = "Create (or complete) the demo organizations acme and globex."

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=30, help="Agents in acme (default 30).")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print logins.")

    def handle(self, *args, agents, quiet_logins, **options):
        if agents < 3:
            self.stderr.write("--agents must be at least 3 (one per team).")
            raise SystemExit(2)
        # Demo assignments and surveys would e-mail hundreds of made-up people: keep them
        # out of the console and of any real mail server.
        quiet_mail = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
        with override_settings(MAILERS=quiet_mail):
            summary = demo.seed(agents=agents, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(summary))
        if not quiet_logins:
            self.stdout.write(demo.logins_text())
