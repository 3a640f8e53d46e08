from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = "Skills"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy import demo, navigation

        from . import demo as skills_demo
        from . import (
            handlers,  # noqa: F401  (registers skills.recommend)
            rules,  # noqa: F401  (registers the permissions)
        )
        from .extensions import register_cause, register_matrix_marker

        navigation.register(
            workspace="manager", label="Skills", url_name="skills:matrix",
            permission="skills.view_skills_workspace", order=30,
            match=("skills:matrix", "skills:catalogue", "skills:overview", "skills:skill_",
                   "skills:level", "skills:person", "skills:review_list", "skills:import",
                   "skills:recommendation"),
        )
        from work import registry as work_registry

        from .selectors import my_skills_summary, pending_recommendation_markers
        from .services.requirements import SkillCatalog

        work_registry.set_skill_catalog(SkillCatalog())
        register_matrix_marker("recommendations", pending_recommendation_markers)
        register_cause("skillrecommendation", label="Recommendation",
                       url_name="skills:recommendation_detail")
        from work import api as work_api

        from .selectors import predicted_skills_for_items

        work_api.set_predicted_skills_provider(predicted_skills_for_items)

        navigation.register_summary(key="skills", order=30, card=my_skills_summary)
        navigation.register(
            workspace="agent", label="My skills", url_name="skills:my_skills",
            permission="skills.view_my_skills", order=30,
            match=("skills:my_skills",),
        )
        if skills_demo.seed_skills not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(skills_demo.seed_skills)
