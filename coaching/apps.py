from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = "Coaching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from surveys.hooks import register_completion_hook as on_survey_completed
        from tenancy import demo, navigation

        from . import (
            handlers,  # noqa: F401  (registers the trigger pipeline)
            rules,  # noqa: F401  (registers the permissions)
        )
        from .demo import seed_coaching
        from .services import effects
        from .services.hooks import register_completion_hook

        # Completing an assessment assigns its training and sends its surveys; the coach
        # survey's score becomes the assessment rating.
        register_completion_hook(effects.assign_assessment_training)
        register_completion_hook(effects.dispatch_assessment_surveys)
        on_survey_completed(effects.set_rating_from_coach_survey)

        navigation.register(
            workspace="manager", label="Coaching", url_name="coaching:overview",
            permission="coaching.view_overview", order=5,
        )
        navigation.register(
            workspace="manager", label="Assessments", url_name="coaching:list",
            permission="coaching.view_assessment_list", order=10,
        )
        from .selectors import my_assessments_summary

        navigation.register_summary(key="coaching", order=10, card=my_assessments_summary)
        navigation.register(
            workspace="agent", label="My assessments", url_name="coaching:mine",
            permission="coaching.view_own_assessments", order=10,
        )
        if seed_coaching not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(seed_coaching)
