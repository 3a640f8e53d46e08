from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from tenancy import demo, navigation
        from work import registry

        from . import handlers  # noqa: F401  (registers routing.auto_assign)
        from .demo import seed_routing
        from .views import suggested_agents_panel

        navigation.register(
            workspace="manager", label="Routing", url_name="routing:team_load",
            permission="routing.view_team_load", order=45, match=("routing:",),
        )
        registry.register_item_panel("routing.suggested_agents", suggested_agents_panel)
        if seed_routing not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(seed_routing)
