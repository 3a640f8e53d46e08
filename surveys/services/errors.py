"""Domain errors of the surveys app; every message is fit to show a user."""

from tenancy.errors import DomainError


class SurveyError(DomainError):
    """A survey rule was broken; ``message`` says what and what to do instead."""


class SurveyAnswersInvalid(SurveyError):
    """Some answers were refused; ``errors`` maps question id → message. Nothing was saved."""

    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        count = len(errors)
        super().__init__(
            f"{count} answer{'s' if count != 1 else ''} need{'s' if count == 1 else ''} "
            "attention; nothing was saved."
        )
