class RoutingError(Exception):
    """A routing request that cannot be carried out; the message is for the user."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class RoutingConflict(RoutingError):
    """The item's state forbids routing (it is resolved or closed)."""
