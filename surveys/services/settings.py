"""The organization's survey settings, kept in ``Organization.settings["surveys"]``."""

from django.db import transaction

from tenancy.models import Organization

from ..selectors import survey_settings
from .errors import SurveyError

MAX_DAYS = 365


@transaction.atomic
def update_survey_settings(
    *, organization: Organization, remind_after_days: int, due_after_days: int,
    anonymous: bool | None = None,
) -> Organization:
    """Set after how many pending days a reminder goes out (0: never), the default due date
    and whether trainee surveys are anonymous (None keeps the current choice).

    ``anonymous`` applies to trainee surveys sent from now on: each response keeps the
    promise it was sent with. Locks the organization row so a concurrent save of other
    settings keys is not lost.
    """
    if not 0 <= remind_after_days <= MAX_DAYS:
        raise SurveyError(f"Remind after 0 to {MAX_DAYS} days (0 sends no reminders).")
    if not 1 <= due_after_days <= MAX_DAYS:
        raise SurveyError(f"Surveys are due 1 to {MAX_DAYS} days after they are sent.")
    if remind_after_days and remind_after_days >= due_after_days:
        raise SurveyError(
            "The reminder must go out before the survey is due: remind after fewer days "
            f"than the {due_after_days} days a survey stays open."
        )
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    if anonymous is None:
        anonymous = survey_settings(locked).anonymous
    locked.settings = {
        **(locked.settings or {}),
        "surveys": {"remind_after_days": remind_after_days, "due_after_days": due_after_days,
                    "anonymous": anonymous},
    }
    locked.save(update_fields=["settings"])
    organization.settings = locked.settings
    return organization
