from tenancy.errors import DomainError


class QualityError(DomainError):
    """A quality rule was broken (scorecards, evaluations, audits); nothing was written."""
