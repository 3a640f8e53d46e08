from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_ranking_function(sender, verbosity=1, stdout=None, using="default", **kwargs):
    from .services import install_ranking_function

    install_ranking_function(verbosity=verbosity, stdout=stdout)


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from tenancy.extensions import NavEntry, demo_seeders, navigation_entries
        from work.extensions import work_item_panels, work_item_writes

        from . import handlers  # noqa: F401  (registers routing.auto_assign)
        from .demo import seed_routing
        from .services import record_work_item_writes
        from .views import suggested_agents_panel

        navigation_entries.register("routing:team_load", NavEntry(
            "manager", "Routing", "routing:team_load", "routing.view_team_load", order=45,
            match=("routing:",), group="Work",
        ))
        work_item_panels.register("routing.suggested_agents", suggested_agents_panel)
        work_item_writes.register("routing.agent_state", record_work_item_writes)
        demo_seeders.register("routing", seed_routing)
        # The ranking's PostgreSQL function, as the code defines it (after every migrate).
        post_migrate.connect(_install_ranking_function, sender=self,
                             dispatch_uid="routing.install_ranking_function")
