"""The error every tenancy service raises when a rule is broken."""

from ..errors import DomainError


class TenancyError(DomainError):
    """A rule of tenancy was broken; the message is fit to show a user.

    Raised with ``field=`` when the problem belongs to a field, or with a dict
    (``{"username": [...]}``) for several fields at once, so a form can show it next to them.
    """
