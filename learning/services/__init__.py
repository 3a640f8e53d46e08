"""Every write to learning goes through these services (see each module's docstring).

``assign_course`` / ``assign_courses`` are the entry points other apps (coaching, on an
assessment's completion or by a virtual coach) use to give people training.
"""

from ..errors import LearningError
from .catalogs import add_course_to_catalog, remove_course_from_catalog, save_catalog
from .courses import save_course_item
from .reminders import send_learning_reminders
from .settings import set_exclude_weekends
from .tasks import (
    assign_course,
    assign_courses,
    cancel_task,
    complete_task,
    start_task,
)

__all__ = [
    "LearningError",
    "add_course_to_catalog",
    "assign_course",
    "assign_courses",
    "cancel_task",
    "complete_task",
    "remove_course_from_catalog",
    "save_catalog",
    "save_course_item",
    "send_learning_reminders",
    "set_exclude_weekends",
    "start_task",
]
