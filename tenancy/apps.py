from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from . import admin_lockouts
        from .extensions import NavEntry, navigation_entries

        admin_lockouts.register()

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
