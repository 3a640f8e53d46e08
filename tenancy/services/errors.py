"""The error every tenancy service raises when a rule is broken."""

from django.core.exceptions import ValidationError


class TenancyError(ValidationError):
    """A rule of tenancy was broken; the message is fit to show a user.

    Raised with a dict (``{"username": [...]}``) when the problem belongs to a field, so a
    form can show it next to that field.
    """
