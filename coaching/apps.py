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
            "manager", "Overview", "coaching:overview", "coaching.view_overview", order=5,
            group="Coaching",
        ))
        navigation_entries.register("coaching:list", NavEntry(
            "manager", "Assessments", "coaching:list", "coaching.view_assessment_list",
            order=10, group="Coaching",
        ))
        navigation_entries.register("coaching:backlog", NavEntry(
            "manager", "Backlog", "coaching:backlog", "coaching.view_backlog", order=11,
            match=("coaching:backlog",), group="Coaching",
        ))
        navigation_entries.register("coaching:mine", NavEntry(
            "agent", "My assessments", "coaching:mine", "coaching.view_own_assessments",
            order=10,
        ))
        summary_cards.register("coaching",
                               SummaryCard(order=10, card=selectors.my_assessments_summary))
        demo_seeders.register("coaching", seed_coaching)

        # Coaching from quality (marks, groups, coaching assignments).
        from quality.extensions import dashboard_cards, evaluation_actions

        from . import views_assignments
        from .demo import seed_quality_coaching

        navigation_entries.register("coaching:assignment_list", NavEntry(
            "manager", "Coaching assignments", "coaching:assignment_list",
            "coaching.manage_coaching_assignments", order=12,
            match=("coaching:assignment", "coaching:group_assignment"), group="Coaching",
        ))
        navigation_entries.register("coaching:marked", NavEntry(
            "manager", "Marked for coaching", "coaching:marked",
            "coaching.manage_coaching_assignments", order=13,
            match=("coaching:mark", "coaching:group_", "coaching:assign_from_marks"),
            group="Coaching",
        ))
        navigation_entries.register("coaching:my_assignments", NavEntry(
            "agent", "My coaching assignments", "coaching:my_assignments",
            "coaching.view_own_coaching_assignments", order=11,
            match=("coaching:my_assignment",),
        ))
        navigation_entries.register("coaching:monitor", NavEntry(
            "manager", "Coaching monitor", "coaching:monitor",
            "coaching.manage_coaching_assignments", order=14, match=("coaching:monitor",),
            group="Coaching",
        ))
        summary_cards.register("coaching_assignments", SummaryCard(
            order=11, card=views_assignments.my_assignments_summary))
        evaluation_actions.register("coaching.mark_for_coaching",
                                    views_assignments.evaluation_actions)
        dashboard_cards.register("coaching.agents_in_coaching",
                                 views_assignments.agents_in_coaching_card)
        demo_seeders.register("coaching_quality", seed_quality_coaching)
        from .demo_monitor import seed_coaching_monitor

        demo_seeders.register("coaching_monitor", seed_coaching_monitor)
        from .demo_plans import seed_coaching_plans

        demo_seeders.register("coaching_plans", seed_coaching_plans)

        # Behaviour coaching plans: the agent's calendar and list on My coaching.
        from tenancy.extensions import my_coaching_sections

        from .views_plans import my_plans_section

        my_coaching_sections.register("coaching.plans", my_plans_section)

        # Behaviour coaching: team performance, coaching required, the agents' directory
        # (each agent's overview opens from them) and the quality home's contact-center cards.
        from . import views_behaviours

        for name, label, order, match in (
            ("coaching:behaviours_team", "Team performance", 15, "coaching:behaviours_team"),
            ("coaching:behaviours_required", "Coaching required", 16,
             "coaching:behaviours_required"),
            # the directory and every agent's overview
            ("coaching:behaviours_agents", "All agents", 17, "coaching:behaviours_agent"),
        ):
            navigation_entries.register(name, NavEntry(
                "manager", label, name, "coaching.manage_coaching_assignments", order=order,
                match=(match,), group="Coaching",
            ))
        # The agent's own overview (behaviours, trend, advice); their plans are on My coaching.
        navigation_entries.register("coaching:my_overview", NavEntry(
            "agent", "My performance", "coaching:my_overview", "coaching.view_own_plans",
            order=12, match=("coaching:my_overview",),
        ))
        navigation_entries.register("coaching:advice_settings", NavEntry(
            "manager", "Advice provider", "coaching:advice_settings",
            "coaching.manage_advice_provider", order=19, match=("coaching:advice_settings",),
            group="Coaching",
        ))
        dashboard_cards.register("coaching.center_1_score", views_behaviours.center_score_card)
        dashboard_cards.register("coaching.center_2_handle", views_behaviours.center_handle_card)
        dashboard_cards.register("coaching.center_3_interactions",
                                 views_behaviours.center_interactions_card)
        dashboard_cards.register("coaching.center_4_recent_advice",
                                 views_behaviours.recent_advice_card)
