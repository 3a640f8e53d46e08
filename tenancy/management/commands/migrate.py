"""``migrate`` as the platform: data migrations see every tenant's rows.

Run it as the tables' owner (never as the application's role). After the migrations,
every tenant table gets forced row-level security and its policies (``post_migrate``,
:func:`tenancy.rls.sync_policies`).
"""

from django.core.management.commands import migrate

from tenancy import rls


class Command(migrate.Command):
    def handle(self, *args, **options):
        with rls.platform("migrations"):
            return super().handle(*args, **options)
