"""The domain error every learning service raises; its message is fit to show a user."""

from tenancy.errors import DomainError


class LearningError(DomainError):
    """A learning rule was broken. ``.message`` says what and how to fix it; ``.field``
    names the form field at fault, if any."""
