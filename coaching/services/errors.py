"""The domain error of the coaching services."""


class AssessmentError(Exception):
    """An assessment action is not possible; ``message`` says why, for a person."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)
