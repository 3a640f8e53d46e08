"""Cursor paging of the HTTP API's newest-first lists.

A list is read by id, newest first; the cursor is the last id of the previous page,
base64-encoded so clients treat it as opaque. A cursor this API did not return (not
base64, not a number, out of range) is refused, never silently read as the first page.
"""

import base64
from collections.abc import Sequence

from django.db.models import QuerySet

from .validation import BIGINT_MAX

BAD_CURSOR = "The cursor is not one this API returned."


class BadCursor(ValueError):
    """The cursor is not one this API returned (the view answers 400)."""

    def __init__(self):
        super().__init__(BAD_CURSOR)


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(str(pk).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise BadCursor from None
    if not 1 <= value <= BIGINT_MAX:
        raise BadCursor
    return value


def newest_first_page(queryset: QuerySet, cursor: str | None,
                      limit: int) -> tuple[Sequence, str | None]:
    """Up to ``limit`` rows of ``queryset`` older than ``cursor``, newest first, and the
    cursor of the next page (None at the end). Raises :class:`BadCursor`."""
    if cursor:
        queryset = queryset.filter(pk__lt=decode_cursor(cursor))
    rows = list(queryset.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].pk) if more else None
