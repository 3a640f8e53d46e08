"""The domain error of the coaching services."""

from tenancy.errors import DomainError


class AssessmentError(DomainError):
    """An assessment action is not possible; ``message`` says why, for a person."""
