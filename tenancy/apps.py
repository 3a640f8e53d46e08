from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_row_level_security(sender, verbosity=1, stdout=None, using="default", **kwargs):
    from . import rls

    rls.sync_policies(verbosity=verbosity, stdout=stdout)


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from . import admin_lockouts, background, checks  # noqa: F401 (signals, checks)
        from .extensions import NavEntry, navigation_entries

        admin_lockouts.register()
        # Once per migrate, after every app's tables exist.
        post_migrate.connect(_sync_row_level_security, sender=self,
                             dispatch_uid="tenancy.rls.sync_policies")

        for entry in (
            NavEntry("manager", "Overview", "tenancy:overview",
                     "tenancy.view_manager_workspace", order=85, group="Organization"),
            NavEntry("manager", "Teams", "tenancy:team_list",
                     "tenancy.view_manager_workspace", order=80, group="Organization"),
            NavEntry("manager", "Settings", "tenancy:settings",
                     "tenancy.manage_organization", order=90, group="Organization"),
            NavEntry("agent", "My coaching", "tenancy:my_coaching",
                     "tenancy.view_agent_workspace", order=0,
                     match=("privacy:my_access",)),  # "Who looked at my data"
        ):
            navigation_entries.register(entry.url_name, entry)
