from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, pre_delete

        from tenancy.extensions import (
            NavEntry,
            demo_seeders,
            my_coaching_sections,
            navigation_entries,
        )
        from tenancy.models import Organization

        from . import rules  # noqa: F401  (registers the permissions)
        from .access import allow_deleting_with_organization, forbid_deleting_after_organization
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
        # Deleting an organization deletes its access log with it (the platform's decision,
        # in the Django admin or a script); nothing else may delete records.
        pre_delete.connect(allow_deleting_with_organization, sender=Organization,
                           dispatch_uid="privacy.access.organization_deleted")
        post_delete.connect(forbid_deleting_after_organization, sender=Organization,
                            dispatch_uid="privacy.access.organization_deleted_after")
