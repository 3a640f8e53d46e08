from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Quality"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenancy.extensions import NavEntry, SummaryCard, navigation_entries, summary_cards

        from . import (
            handlers,  # noqa: F401  (registers quality.autoscore on work events)
            rules,  # noqa: F401  (registers the permissions)
        )
        from .selectors import my_quality_summary

        navigation_entries.register("quality:leaderboard", NavEntry(
            "manager", "Leaderboard", "quality:leaderboard", "quality.view_dashboards", order=20,
            match=("quality:leaderboard",), group="Quality",
        ))
        navigation_entries.register("quality:my_quality", NavEntry(
            "agent", "My quality", "quality:my_quality", "quality.view_own_quality", order=15,
            match=("quality:my_quality",),
        ))
        summary_cards.register("quality", SummaryCard(order=15, card=my_quality_summary))

        from tenancy.extensions import demo_seeders

        from .demo import seed_quality

        demo_seeders.register("quality", seed_quality)

        # Scorecards (and the quality settings linked from them): org admins, QA analysts.
        from tenancy.extensions import NavEntry, navigation_entries

        navigation_entries.register("quality:scorecard_list", NavEntry(
            "manager", "Scorecards", "quality:scorecard_list", "quality.manage_scorecards",
            order=25, match=("quality:scorecard", "quality:settings"), group="Quality",
        ))

        # Audits: QA analysts land on their audit queue (order 6, after the coaching
        # overview that coaches and org admins land on).
        navigation_entries.register("quality:audit_queue", NavEntry(
            "manager", "Audit queue", "quality:audit_queue", "quality.audit", order=6,
            match=("quality:audit_queue", "quality:audit", "quality:audit_start"),
            group="Quality",
        ))
        navigation_entries.register("quality:interactions", NavEntry(
            "manager", "Interactions", "quality:interactions", "quality.audit", order=7,
            match=("quality:interaction", "quality:best_response"), group="Quality",
        ))

        # Agent disputes: the reviewers' queue (whoever audits; agents never see it).
        navigation_entries.register("quality:dispute_queue", NavEntry(
            "manager", "Disputes", "quality:dispute_queue", "quality.review_disputes",
            order=22, match=("quality:dispute_queue", "quality:dispute_review"),
            group="Quality",
        ))

        # Dispute analytics: overturn rates and "Send to calibration" (the leaderboard's
        # audience: coaches see the teams they coach).
        navigation_entries.register("quality:dispute_analytics", NavEntry(
            "manager", "Dispute analytics", "quality:dispute_analytics",
            "quality.view_dashboards", order=21,
            match=("quality:dispute_analytics", "quality:send_to_calibration"), group="Quality",
        ))

        # Calibration sessions: whoever audits may be invited (coaches see the sessions
        # they are invited to; QA analysts and org admins every session and open them).
        navigation_entries.register("quality:calibration_list", NavEntry(
            "manager", "Calibration", "quality:calibration_list", "quality.audit", order=23,
            match=("quality:calibration_list", "quality:calibration_create",
                   "quality:calibration_search", "quality:calibration_detail",
                   "quality:calibration_score", "quality:calibration_reveal",
                   "quality:calibration_final"), group="Quality",
        ))

        # Agent disputes: the agent's Review tabs on My coaching.
        from tenancy.extensions import my_coaching_sections

        from .views.review import review_section

        my_coaching_sections.register("quality.review", review_section)
