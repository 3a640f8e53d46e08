"""The domain error every skills service raises; its message is fit to show a user."""

from tenancy.errors import DomainError


class SkillError(DomainError):
    """A skills rule was broken. ``.message`` says what and how to fix it."""
