from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "work"
    verbose_name = "Work"

    def ready(self) -> None:
        from tenancy.extensions import NavEntry, demo_seeders, navigation_entries

        from . import handlers  # noqa: F401  (registers the built-in handler)
        from .demo import seed_work_items

        navigation_entries.register("work:list", NavEntry(
            "manager", "Work items", "work:list", "work.view_work_items", order=40,
            group="Work",
        ))
        demo_seeders.register("work", seed_work_items)
