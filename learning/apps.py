from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from skills import extensions as skill_extensions
        from tenancy import demo, navigation

        from . import demo as learning_demo
        from . import rules  # noqa: F401  (registers the permissions)
        from .selectors import skill_overview_courses, skill_overview_pending_users

        navigation.register(
            workspace="manager", label="Learning", url_name="learning:index",
            permission="learning.view_learning_workspace", order=35,
            match=("learning:index", "learning:task_list", "learning:assign", "learning:catalog",
                   "learning:course", "learning:settings"),
        )
        from .selectors import my_learning_summary

        navigation.register_summary(key="learning", order=20, card=my_learning_summary)
        navigation.register(
            workspace="agent", label="My learning", url_name="learning:my_learning",
            permission="learning.view_my_learning", order=20,
            match=("learning:my_learning", "learning:task_"),
        )
        skill_extensions.register_overview_section("learning_pending_users",
                                                   skill_overview_pending_users)
        skill_extensions.register_overview_section("learning_course_items",
                                                   skill_overview_courses)
        skill_extensions.register_cause("learningtask", label="Learning task",
                                        url_name="learning:task_detail")
        if learning_demo.seed_learning not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(learning_demo.seed_learning)
