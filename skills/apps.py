from django.apps import AppConfig


class SkillsConfig(AppConfig):
    name = "skills"
    verbose_name = "Skills"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy.extensions import (
            NavEntry,
            SummaryCard,
            demo_seeders,
            navigation_entries,
            summary_cards,
        )
        from work import extensions as work_extensions

        from . import demo as skills_demo
        from . import (
            handlers,  # noqa: F401  (registers skills.recommend)
            rules,  # noqa: F401  (registers the permissions)
        )
        from .extensions import CauseLink, history_causes, skill_matrix_markers
        from .selectors import (
            my_skills_summary,
            pending_recommendation_markers,
            predicted_skills_for_items,
        )
        from .services.requirements import SkillCatalog

        navigation_entries.register("skills:matrix", NavEntry(
            "manager", "Skills", "skills:matrix", "skills.view_skills_workspace", order=30,
            match=("skills:matrix", "skills:catalogue", "skills:overview", "skills:skill_",
                   "skills:level", "skills:person", "skills:review_list", "skills:import",
                   "skills:recommendation"),
        ))
        navigation_entries.register("skills:my_skills", NavEntry(
            "agent", "My skills", "skills:my_skills", "skills.view_my_skills", order=30,
            match=("skills:my_skills",),
        ))
        summary_cards.register("skills", SummaryCard(order=30, card=my_skills_summary))

        work_extensions.skill_catalog.register("skills", SkillCatalog())
        work_extensions.predicted_skills.register("skills.recommender",
                                                  predicted_skills_for_items)
        skill_matrix_markers.register("recommendations", pending_recommendation_markers)
        history_causes.register("skillreview",
                                CauseLink("Self-review", "skills:review_detail"))
        history_causes.register("skillrecommendation",
                                CauseLink("Recommendation", "skills:recommendation_detail"))
        demo_seeders.register("skills", skills_demo.seed_skills)
