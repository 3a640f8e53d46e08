from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from . import admin_lockouts, navigation

        admin_lockouts.register()

        navigation.register(
            workspace="manager", label="Organization", url_name="tenancy:overview",
            permission="tenancy.view_manager_workspace", order=85,
        )
        navigation.register(
            workspace="manager", label="Teams", url_name="tenancy:team_list",
            permission="tenancy.view_manager_workspace", order=80,
        )
        navigation.register(
            workspace="manager", label="Settings", url_name="tenancy:settings",
            permission="tenancy.manage_organization", order=90,
        )
        navigation.register(
            workspace="agent", label="My coaching", url_name="tenancy:my_coaching",
            permission="tenancy.view_agent_workspace", order=0,
        )
