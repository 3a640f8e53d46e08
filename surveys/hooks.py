"""Extension points for apps above surveys (coaching) — surveys never imports them.

Coaching registers a completion hook from its ``AppConfig.ready``::

    from surveys.hooks import register_completion_hook
    register_completion_hook(set_rating_from_coach_survey)

Every hook is called with the completed :class:`~surveys.models.SurveyResponse` after the
transaction that completed it commits, inside that response's tenant scope. A hook that
raises is logged and does not stop the others (the survey stays completed); a hook that
writes should open its own transaction.
"""

import logging
from collections.abc import Callable

from django_scopes import scope

logger = logging.getLogger(__name__)

CompletionHook = Callable[[object], None]

_completion_hooks: list[CompletionHook] = []


def register_completion_hook(hook: CompletionHook) -> CompletionHook:
    """Call ``hook(response)`` whenever a survey is completed. Registering twice is a no-op.

    Returns the hook, so it can be used as a decorator.
    """
    if hook not in _completion_hooks:
        _completion_hooks.append(hook)
    return hook


def unregister_completion_hook(hook: CompletionHook) -> None:
    if hook in _completion_hooks:
        _completion_hooks.remove(hook)


def run_completion_hooks(response) -> None:
    with scope(organization=response.organization):
        for hook in list(_completion_hooks):
            try:
                hook(response)
            except Exception:
                logger.exception(
                    "Survey completion hook %r failed for survey response %s",
                    getattr(hook, "__qualname__", hook), response.pk,
                )
