from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = "Coaching opportunities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy.extensions import NavEntry, navigation_entries

        from . import rules  # noqa: F401  (registers the permissions)

        navigation_entries.register("opportunities:list", NavEntry(
            "manager", "Opportunities", "opportunities:list",
            "opportunities.manage_opportunities", order=15, group="Coaching",
        ))
