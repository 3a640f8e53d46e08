from django.apps import AppConfig


class OpportunitiesConfig(AppConfig):
    name = "opportunities"
    verbose_name = "Coaching opportunities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy import navigation

        from . import rules  # noqa: F401  (registers the permissions)

        navigation.register(
            workspace="manager", label="Opportunities", url_name="opportunities:list",
            permission="opportunities.manage_opportunities", order=15,
        )
