"""Completion hooks: what other apps do when an assessment completes.

When an assessment reaches ``closed_complete`` (by a coach or a virtual coach), every
function in :data:`COMPLETION_HOOKS` is called with it, inside the transaction of the
completion and after its skills were awarded. Learning tasks from
``assessment.courses`` and the surveys ``assessment.coach_survey`` /
``assessment.trainee_survey`` (whose coach score sets the rating) are meant to plug in
here. Until those apps exist the list is empty and the course titles and survey names
stay recorded on the assessment.

The layering (learning and surveys sit *below* coaching and may not import it) means the
hooks are registered on their behalf from ``CoachingConfig.ready`` or ``config``::

    from coaching.services.hooks import register_completion_hook
    from learning.services import assign_assessment_courses
    register_completion_hook(assign_assessment_courses)
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import CoachingAssessment

CompletionHook = Callable[["CoachingAssessment"], None]

COMPLETION_HOOKS: list[CompletionHook] = []


def register_completion_hook(hook: CompletionHook) -> CompletionHook:
    if hook not in COMPLETION_HOOKS:
        COMPLETION_HOOKS.append(hook)
    return hook


def run_completion_hooks(assessment: "CoachingAssessment") -> None:
    for hook in COMPLETION_HOOKS:
        hook(assessment)
