"""Cleaning of one work item's fields as the ingest service receives them.

Every value is checked for type and range and turned into what the model stores; errors
carry the item's index and the field, with a message fit for the sender.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from tenancy.validation import (
    DOCUMENT_TEXT,
    INT_MAX,
    SMALLINT_MAX,
    BadValue,
    check_datetime,
    check_json,
    check_text,
)

from ..enums import WorkKind, WorkState

TEXT_FIELDS = {
    "number": 64, "short_description": 500, "description": DOCUMENT_TEXT, "category": 100,
    "subcategory": 100, "channel": 50,
}
DATE_FIELDS = ("opened_at", "resolved_at", "closed_at")
COUNT_FIELDS = ("reassignment_count", "reopen_count")
FLAG_FIELDS = ("escalated", "sla_breached")
USER_FIELDS = ("assigned_to", "resolved_by")
# Fields of the model an item may set directly (after cleaning and reference resolution).
ITEM_FIELDS = (
    "kind", "state", "priority", *TEXT_FIELDS, "team", *USER_FIELDS, *DATE_FIELDS,
    *COUNT_FIELDS, *FLAG_FIELDS, "handle_time_seconds", "sentiment",
)


@dataclass(frozen=True)
class ItemError:
    """A problem with one item (``index`` in the batch) and one of its fields."""

    index: int | None
    field: str | None
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "message": self.message}


class _FieldError(Exception):
    pass


def _checked(check, value):
    try:
        return check(value)
    except BadValue as error:
        raise _FieldError(str(error)) from None


# --- cleaning one value -----------------------------------------------------------------


def _choice(enum, what: str):
    values = [c.value for c in enum]

    def clean(value, tz):
        if value is None:
            raise _FieldError(f"The {what} cannot be empty.")
        if not isinstance(value, str) or value not in values:
            raise _FieldError(f"“{value}” is not a {what}; use one of: {', '.join(values)}.")
        return value

    return clean


def _text(max_length: int | None):
    def clean(value, tz):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _FieldError("Expected text.")
        if max_length is not None and len(value) > max_length:
            raise _FieldError(f"At most {max_length} characters (this has {len(value)}).")
        return _checked(check_text, value)

    return clean


def _int(value, *, minimum: int, maximum: int = INT_MAX, null_as=None):
    if value is None:
        return null_as
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError("Expected a whole number.")
    if not minimum <= value <= maximum:
        raise _FieldError(f"{value} is out of range: use a whole number from {minimum} to "
                          f"{maximum}.")
    return value


def _flag(value, tz):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _FieldError("Expected true or false.")
    return value


def _datetime(value, tz):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(_checked(check_text, value).strip())
        except ValueError:
            raise _FieldError(
                f"“{value}” is not an ISO 8601 date and time (such as 2025-03-01T09:30:00Z)."
            ) from None
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise _FieldError("Expected an ISO 8601 date and time.")
    _checked(check_datetime, value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, tz)
    return value


def _reference(max_length: int):
    def clean(value, tz):
        if value is None:
            return None
        if not isinstance(value, str):
            raise _FieldError("Expected a name (text).")
        value = _checked(check_text, value).strip()
        if not value:
            return None
        if len(value) > max_length:
            raise _FieldError(f"At most {max_length} characters.")
        return value

    return clean


def _external_id(value, tz):
    if not isinstance(value, str) or not value.strip():
        raise _FieldError("Every work item needs an external_id (text).")
    value = _checked(check_text, value).strip()
    if len(value) > 200:
        raise _FieldError("At most 200 characters.")
    return value


def _sentiment(value, tz):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _FieldError("Expected a number from −1 to 1.")
    if not -1 <= value <= 1:
        raise _FieldError(f"{value} is out of range: sentiment goes from −1 to 1.")
    return float(value)


def _attributes(value, tz):
    if value is None:
        return None  # clears every attribute
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _FieldError("Expected an object of named values.")
    return _checked(check_json, dict(value))


def _skills(value, tz):
    """A list of names or ``{"name", "minimum_level"}`` objects → sorted (name, level) pairs."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise _FieldError("Expected a list of skills.")
    result: dict[str, tuple[str, int | None]] = {}
    for entry in value:
        if isinstance(entry, str):
            name, level = entry, None
        elif isinstance(entry, Mapping):
            name, level = entry.get("name"), entry.get("minimum_level")
        else:
            raise _FieldError("Each skill is a name or an object with name and minimum_level.")
        if not isinstance(name, str) or not name.strip():
            raise _FieldError("Each skill needs a name.")
        name = _checked(check_text, name).strip()
        if len(name) > 150:
            raise _FieldError(f"Skill names have at most 150 characters: “{name[:30]}…”.")
        level = _int(level, minimum=1, maximum=SMALLINT_MAX)
        if name.lower() in result:
            raise _FieldError(f"The skill “{name}” is listed twice.")
        result[name.lower()] = (name, level)
    return sorted(result.values(), key=lambda pair: pair[0].lower())


CLEANERS = {
    "external_id": _external_id,
    "kind": _choice(WorkKind, "kind"),
    "state": _choice(WorkState, "state"),
    "priority": lambda v, tz: _int(v, minimum=1, maximum=5),
    **{name: _text(length) for name, length in TEXT_FIELDS.items()},
    "team": _reference(150),
    **{name: _reference(254) for name in USER_FIELDS},
    **{name: _datetime for name in DATE_FIELDS},
    **{name: (lambda v, tz: _int(v, minimum=0, null_as=0)) for name in COUNT_FIELDS},
    **{name: _flag for name in FLAG_FIELDS},
    "handle_time_seconds": lambda v, tz: _int(v, minimum=0),
    "sentiment": _sentiment,
    "attributes": _attributes,
    "skills": _skills,
    "occurred_at": _datetime,
}


def clean_item(index: int, raw: Any, tz) -> tuple[dict, list[ItemError]]:
    if not isinstance(raw, Mapping):
        return {}, [ItemError(index, None, "Each work item is an object of fields.")]
    data, errors = {}, []
    for name, value in raw.items():
        cleaner = CLEANERS.get(name)
        if cleaner is None:
            errors.append(ItemError(
                index, name, "Unknown field; send source-specific fields inside attributes."
            ))
            continue
        try:
            data[name] = cleaner(value, tz)
        except _FieldError as error:
            errors.append(ItemError(index, name, str(error)))
    if "external_id" not in raw:
        errors.append(ItemError(index, "external_id", "Every work item needs an external_id."))
    return data, errors
