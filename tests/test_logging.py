"""The console says a refused request in one line, and keeps tracebacks for server errors."""

import logging
import sys

from django.conf import settings

from config.logging import ClientErrorsWithoutTraceback


def _record(status):
    try:
        raise PermissionError("nope")
    except PermissionError:
        info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden",
                               (), info)
    record.status_code = status
    return record


def test_client_errors_lose_their_traceback_server_errors_keep_it():
    keep = ClientErrorsWithoutTraceback()
    forbidden, failed = _record(403), _record(500)
    assert keep.filter(forbidden) is True and keep.filter(failed) is True
    assert (forbidden.exc_info, failed.exc_info[0]) == (None, PermissionError)


def test_django_logs_through_one_handler_with_the_filter():
    django_logger = settings.LOGGING["loggers"]["django"]
    assert (django_logger["handlers"], django_logger["propagate"]) == (
        ["console", "mail_admins"], False)
    assert settings.LOGGING["loggers"]["django.request"]["filters"] == [
        "client_errors_without_traceback"]
