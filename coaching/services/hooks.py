"""Completion hooks: what other apps do when an assessment completes.

When an assessment reaches ``closed_complete`` (by a coach or a virtual coach), every
function in :data:`COMPLETION_HOOKS` is called with it, inside the transaction of the
completion and after its skills were awarded. ``CoachingConfig.ready`` registers the
learning tasks of ``assessment.courses`` and the dispatch of ``assessment.coach_survey`` /
``assessment.trainee_survey`` (see :mod:`coaching.services.effects`); learning and
surveys sit *below* coaching and may not import it, so coaching registers on their behalf.
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
