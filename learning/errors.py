"""The domain error every learning service raises; its message is fit to show a user."""

from django.core.exceptions import ValidationError


class LearningError(ValidationError):
    """A learning rule was broken. ``.message`` says what and how to fix it."""
