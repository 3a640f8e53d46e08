from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy import demo, navigation

        from . import rules  # noqa: F401  (registers the permissions)
        from .demo import seed_surveys

        navigation.register(
            workspace="manager", label="Surveys", url_name="surveys:index",
            permission="surveys.view_manager_surveys", order=45,
            match=("surveys:index", "surveys:template", "surveys:question", "surveys:effectiveness",
                   "surveys:settings"),
        )
        from .selectors import my_surveys_summary

        navigation.register_summary(key="surveys", order=25, card=my_surveys_summary)
        navigation.register(
            workspace="agent", label="My surveys", url_name="surveys:my_surveys",
            permission="surveys.take_surveys", order=25,
            match=("surveys:my_surveys", "surveys:take"),
        )
        if seed_surveys not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(seed_surveys)
