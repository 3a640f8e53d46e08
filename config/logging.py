"""Logging filters for the console."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer (a refused permission, a page not found) is the client's business:
    one line saying so, not a traceback. Server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
