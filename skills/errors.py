"""The domain error every skills service raises; its message is fit to show a user."""

from django.core.exceptions import ValidationError


class SkillError(ValidationError):
    """A skills rule was broken. ``.message`` says what and how to fix it."""
