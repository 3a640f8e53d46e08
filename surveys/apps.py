from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy.extensions import (
            NavEntry,
            SummaryCard,
            demo_seeders,
            navigation_entries,
            summary_cards,
        )

        from . import rules  # noqa: F401  (registers the permissions)
        from .demo import seed_surveys
        from .selectors import my_surveys_summary

        navigation_entries.register("surveys:index", NavEntry(
            "manager", "Surveys", "surveys:index", "surveys.view_manager_surveys", order=45,
            match=("surveys:index", "surveys:template", "surveys:question", "surveys:effectiveness",
                   "surveys:settings"),
        ))
        navigation_entries.register("surveys:my_surveys", NavEntry(
            "agent", "My surveys", "surveys:my_surveys", "surveys.take_surveys", order=25,
            match=("surveys:my_surveys", "surveys:take"),
        ))
        summary_cards.register("surveys", SummaryCard(order=25, card=my_surveys_summary))
        demo_seeders.register("surveys", seed_surveys)
