from tenancy.errors import DomainError


class RoutingError(DomainError):
    """A routing request that cannot be carried out; the message is for the user."""


class RoutingConflict(RoutingError):
    """The item's state forbids routing (it is resolved or closed)."""
