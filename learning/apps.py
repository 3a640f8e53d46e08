from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from skills.extensions import CauseLink, history_causes, skill_overview_sections
        from tenancy.extensions import (
            NavEntry,
            SummaryCard,
            demo_seeders,
            navigation_entries,
            summary_cards,
        )

        from . import demo as learning_demo
        from . import rules  # noqa: F401  (registers the permissions)
        from .selectors import (
            my_learning_summary,
            skill_overview_courses,
            skill_overview_pending_users,
        )

        navigation_entries.register("learning:index", NavEntry(
            "manager", "Learning", "learning:index", "learning.view_learning_workspace",
            order=35,
            match=("learning:index", "learning:task_list", "learning:assign", "learning:catalog",
                   "learning:course", "learning:settings"),
        ))
        navigation_entries.register("learning:my_learning", NavEntry(
            "agent", "My learning", "learning:my_learning", "learning.view_my_learning",
            order=20, match=("learning:my_learning", "learning:task_"),
        ))
        summary_cards.register("learning", SummaryCard(order=20, card=my_learning_summary))
        skill_overview_sections.register("learning_pending_users", skill_overview_pending_users)
        skill_overview_sections.register("learning_course_items", skill_overview_courses)
        history_causes.register("learningtask", CauseLink("Learning task", "learning:task_detail"))
        demo_seeders.register("learning", learning_demo.seed_learning)
