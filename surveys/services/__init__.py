"""Every write of the surveys app: the template builder, dispatch, answers, reminders."""

from .errors import SurveyAnswersInvalid, SurveyError
from .responses import (
    dispatch_survey,
    expire_overdue_surveys,
    send_survey_reminders,
    submit_survey,
)
from .settings import update_survey_settings
from .templates import delete_question, move_question, save_question, save_template

__all__ = [
    "SurveyAnswersInvalid",
    "SurveyError",
    "delete_question",
    "dispatch_survey",
    "expire_overdue_surveys",
    "move_question",
    "save_question",
    "save_template",
    "send_survey_reminders",
    "submit_survey",
    "update_survey_settings",
]
