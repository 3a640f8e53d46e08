"""Surveys' extension point, filled by the apps above surveys (coaching) from their
``AppConfig.ready`` — surveys never imports them.

:data:`after_survey_completed_committed` — ``fn(response)`` with the completed
:class:`~surveys.models.SurveyResponse`, after the transaction that completed it commits,
inside that response's tenant scope (coaching: the coach survey's score becomes the
assessment's rating). An error is logged and stops neither the others nor the survey,
which stays completed; a function that writes opens its own transaction.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from django_scopes import scope

from tenancy.extensions import Registry

if TYPE_CHECKING:
    from .models import SurveyResponse

logger = logging.getLogger(__name__)

after_survey_completed_committed: Registry[Callable[["SurveyResponse"], None]] = Registry(
    "surveys.after_survey_completed_committed"
)


def run_after_survey_completed_committed(response: "SurveyResponse") -> None:
    with scope(organization=response.organization):
        for key, fn in after_survey_completed_committed.items():
            try:
                fn(response)
            except Exception:
                logger.exception("%s %r failed for survey response %s",
                                 after_survey_completed_committed.name, key, response.pk)
