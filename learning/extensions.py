"""Learning's extension point, filled by the apps above learning (coaching) from their
``AppConfig.ready`` — learning never imports them.

:data:`task_origins` — ``fn(tasks) -> {task id: label}``: what asked for each task, such
as "assessment #12" (coaching). Read while the task list and a task's page are built; one
query per provider.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tenancy.extensions import Registry

if TYPE_CHECKING:
    from .models import LearningTask

task_origins: Registry[Callable[[Sequence["LearningTask"]], dict[int, str]]] = Registry(
    "learning.task_origins"
)


def with_origins(tasks: Sequence["LearningTask"]) -> Sequence["LearningTask"]:
    """Give each task its ``origin`` label ("" when nothing registered knows it)."""
    origins: dict[int, str] = {}
    if tasks:
        for provider in task_origins:
            origins.update(provider(tasks))
    for task in tasks:
        task.origin = origins.get(task.pk, "")
    return tasks
