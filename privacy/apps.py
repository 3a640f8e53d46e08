from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from tenancy.extensions import (
            NavEntry,
            demo_seeders,
            my_coaching_sections,
            navigation_entries,
        )

        from . import rules  # noqa: F401  (registers the permissions)
        from .demo import seed_access_records
        from .sections import my_access_section

        # The tenant's access log: org admins, in the Organization menu. (Each member's own
        # "Who looked at my data" hangs off My coaching: see tenancy's entry and the section.)
        navigation_entries.register("privacy:access_log", NavEntry(
            "manager", "Access log", "privacy:access_log", "privacy.view_access_log",
            order=88, match=("privacy:access_log",), group="Organization",
        ))
        my_coaching_sections.register("privacy.access", my_access_section)
        demo_seeders.register("privacy_access", seed_access_records)
