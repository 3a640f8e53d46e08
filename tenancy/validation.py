"""Bounds every value from outside keeps before it reaches the database, for every app.

PostgreSQL refuses text with a NUL character, UTC offsets beyond ±15:59 and integers
beyond their column (a 500 where they reach it), and it stores ``0001-01-01T00:00+01:00``
as a date of 1 BC that Python cannot read back, so one such value broke every page that
showed it. The API schemas (:mod:`tenancy.api_types`), the CSV imports, the forms and the
query parameters all refuse such values through the checks below, with these messages.
"""

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
SMALLINT_MAX = 32_767
INT_MAX = 2_147_483_647
BIGINT_MAX = 9_223_372_036_854_775_807

# Maximum lengths of free text (characters), so one answer cannot stretch a page.
SHORT_TEXT = 500
LONG_TEXT = 4_000
DOCUMENT_TEXT = 50_000


class BadValue(ValueError):
    """A value no column can hold; the message is written for the person who sent it."""


def check_text(value: str) -> str:
    if "\x00" in value:
        raise BadValue("Text cannot contain the NUL character (\\x00).")
    return value


def check_date(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BadValue(
            f"{day.isoformat()} is out of range: use a date from "
            f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}."
        )
    return value


def check_datetime(value: datetime) -> datetime:
    """A date and time within the sane range whose UTC offset, if any, is at most ±15:59."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        sign = "-" if offset < timedelta(0) else "+"
        hours, rest = divmod(int(abs(offset).total_seconds()), 3600)
        raise BadValue(
            f"The UTC offset {sign}{hours:02d}:{rest // 60:02d} is out of range: "
            "offsets go from -15:59 to +15:59."
        )
    check_date(value)
    return value


def check_int(value: int, *, minimum: int = -INT_MAX - 1, maximum: int = INT_MAX) -> int:
    if not minimum <= value <= maximum:
        raise BadValue(f"{value} is out of range: use a whole number from {minimum} to {maximum}.")
    return value


def check_json(value, *, _path: str = ""):
    """A JSON value whose texts (keys too) have no NUL and whose numbers are finite."""
    if isinstance(value, str):
        if "\x00" in value:
            raise BadValue(f"Text cannot contain the NUL character (\\x00){_at(_path)}.")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(f"Numbers must be finite (not NaN or Infinity){_at(_path)}.")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                raise BadValue(f"Names cannot contain the NUL character (\\x00){_at(_path)}.")
            check_json(item, _path=f"{_path}.{key}" if _path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, _path=f"{_path}[{index}]")
    return value


def _at(path: str) -> str:
    return f" (at {path})" if path else ""


# --- Django validators and form fields ---------------------------------------------------


def _django(check):
    def validator(value):
        if value is None:
            return
        try:
            check(value)
        except BadValue as error:
            raise ValidationError(str(error), code="out_of_range") from None

    validator.__name__ = f"validate_{check.__name__.removeprefix('check_')}"
    return validator


validate_date = _django(check_date)
validate_datetime = _django(check_datetime)
validate_json = _django(check_json)
validate_no_nul = ProhibitNullCharactersValidator()


def max_length(limit: int) -> MaxLengthValidator:
    """The validator a TextField carries so forms and ``full_clean`` keep it bounded."""
    return MaxLengthValidator(
        limit, message=f"At most {limit:,} characters (this has %(show_value)d)."
    )


_RANGE_ATTRS = {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}


class DateField(forms.DateField):
    """A date within the sane range (the browser's date picker is bounded too)."""

    default_validators = [validate_date]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", None) == "date":
            attrs.update(_RANGE_ATTRS)
        return attrs


class DateTimeField(forms.DateTimeField):
    default_validators = [validate_datetime]


class JSONField(forms.JSONField):
    default_validators = [validate_json]


def bounded_formfield(formfield: forms.Field | None) -> forms.Field | None:
    """Add the range checks to a form field built from a model field (ModelForms, admin)."""
    if formfield is None:
        return None
    extra = {
        forms.DateTimeField: validate_datetime,
        forms.SplitDateTimeField: validate_datetime,
        forms.DateField: validate_date,
        forms.JSONField: validate_json,
    }
    for field_class, validator in extra.items():
        if isinstance(formfield, field_class):
            if validator not in formfield.validators:
                formfield.validators.append(validator)
            break
    if isinstance(formfield, forms.DateField) and getattr(
            formfield.widget, "input_type", None) == "date":
        formfield.widget.attrs.update(_RANGE_ATTRS)
    return formfield


def text_limit(limit: int) -> dict:
    """Keyword arguments of a bounded ``TextField``: ``max_length`` (ModelForms, the
    textarea) and its validator (``full_clean``; a TextField does not enforce it)."""
    return {"max_length": limit, "validators": [max_length(limit)]}
