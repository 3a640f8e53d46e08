from django.apps import AppConfig


class WorkConfig(AppConfig):
    name = "work"
    verbose_name = "Work"

    def ready(self) -> None:
        from tenancy import demo, navigation

        from . import handlers  # noqa: F401  (registers the built-in handler)
        from .demo import seed_work_items

        navigation.register(
            workspace="manager", label="Work", url_name="work:list",
            permission="work.view_work_items", order=40,
        )
        if seed_work_items not in demo.EXTENSIONS:
            demo.EXTENSIONS.append(seed_work_items)
