from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coaching"
    verbose_name = "Coaching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from learning.extensions import task_origins
        from opportunities.extensions import match_links
        from surveys.extensions import after_survey_completed_committed
        from tenancy.extensions import (
            NavEntry,
            SummaryCard,
            demo_seeders,
            navigation_entries,
            summary_cards,
        )

        from . import (
            handlers,  # noqa: F401  (registers the trigger pipeline)
            rules,  # noqa: F401  (registers the permissions)
            selectors,
        )
        from .demo import seed_coaching
        from .services import effects

        # The coach survey's score becomes the assessment rating. (What completing an
        # assessment does is called from coaching.services.assessments, not registered.)
        after_survey_completed_committed.register(
            "coaching.rating_from_coach_survey", effects.set_rating_from_coach_survey
        )
        # Learning and opportunities pages show what coaching links their rows to.
        task_origins.register("coaching.assessment", selectors.task_origins)
        match_links.register("coaching.assessment", selectors.match_links)

        navigation_entries.register("coaching:overview", NavEntry(
            "manager", "Coaching", "coaching:overview", "coaching.view_overview", order=5,
        ))
        navigation_entries.register("coaching:list", NavEntry(
            "manager", "Assessments", "coaching:list", "coaching.view_assessment_list",
            order=10,
        ))
        navigation_entries.register("coaching:mine", NavEntry(
            "agent", "My assessments", "coaching:mine", "coaching.view_own_assessments",
            order=10,
        ))
        summary_cards.register("coaching",
                               SummaryCard(order=10, card=selectors.my_assessments_summary))
        demo_seeders.register("coaching", seed_coaching)
