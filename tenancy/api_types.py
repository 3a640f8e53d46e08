"""Value types and error bodies shared by every router of the HTTP API (``/api/v1/``).

The types apply :mod:`tenancy.validation` to what a client sends and publish the same
bounds in the OpenAPI schema (a pattern, minimum and maximum), so a schema-valid request
is one the API accepts. Every operation documents the error bodies below.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema, pagination, parser
from ninja.errors import ValidationError
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from .validation import (
    BIGINT_MAX,
    INT_MAX,
    BadValue,
    check_date,
    check_datetime,
    check_json,
    check_text,
)

# What the API accepts, which is also what its schema says: RFC 3339 (the JSON Schema
# "date-time" format: a time with seconds and an offset), a year from 1970 to 2100, and an
# offset of at most ±15:59. The syntax is checked first; the range then has its own message.
_YEAR = "(19[7-9][0-9]|20[0-9]{2}|2100)"
_MONTH_DAY = "-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = "[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?"
_DATE_PATTERN = f"^{_YEAR}{_MONTH_DAY}$"
_DATETIME_PATTERN = f"^{_YEAR}{_MONTH_DAY}{_TIME}([Zz]|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
_DATE_SYNTAX = re.compile(f"[0-9]{{4}}{_MONTH_DAY}")
_DATETIME_SYNTAX = re.compile(f"[0-9]{{4}}{_MONTH_DAY}{_TIME}([Zz]|[+-][0-9]{{2}}:[0-5][0-9])")
NO_NUL_PATTERN = "^[^\\u0000]*$"


def _checked(check, *, only=object):
    def validate(value):
        if not isinstance(value, only):
            return value
        try:
            return check(value)
        except BadValue as error:
            raise ValueError(str(error)) from None

    return validate


def _iso(syntax: re.Pattern, message: str):
    def validate(value: Any):
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not syntax.fullmatch(value):
            shown = f"“{value[:40]}”" if isinstance(value, str) else "This"
            raise ValueError(f"{shown} is not {message}.")
        return value

    return validate


def text(max_length: int | None = None, *, min_length: int | None = None):
    """Text without the NUL character, of at most ``max_length`` characters.

    The lengths are declared here, on the string itself: added at the place of use (outside
    an ``Optional``) they would apply after the check, with a generic message.
    """
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length,
              json_schema_extra={"pattern": NO_NUL_PATTERN}),
        BeforeValidator(_checked(check_text, only=str)),
    ]


SaneDatetime = Annotated[
    datetime,
    BeforeValidator(_iso(_DATETIME_SYNTAX, (
        "a date and time with seconds and a UTC offset (RFC 3339), such as "
        "2025-03-01T09:30:00Z or 2025-03-01T10:30:00+01:00"
    ))),
    AfterValidator(_checked(check_datetime)),
    Field(json_schema_extra={"pattern": _DATETIME_PATTERN}, description=(
        "RFC 3339 with seconds and a UTC offset (Z or ±hh:mm, at most ±15:59), from "
        "1970-01-01 to 2100-12-31."
    )),
]
SaneDate = Annotated[
    date,
    BeforeValidator(_iso(_DATE_SYNTAX, "a date such as 2025-03-01")),
    AfterValidator(_checked(check_date)),
    Field(json_schema_extra={"pattern": _DATE_PATTERN}),
]
JsonObject = Annotated[dict[str, object], AfterValidator(_checked(check_json))]
"""A JSON object whose texts have no NUL and whose numbers are finite."""

Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
Cursor = Annotated[text(200, min_length=1),
                   Field(description="Pass the next_cursor of the previous page.")]
"""An opaque page cursor; one this API did not return is a 400."""
Offset = Annotated[int, Field(ge=0, le=INT_MAX, description="Rows to skip.")]
Count = Annotated[int, Field(ge=0, le=INT_MAX)]


# --- error bodies -------------------------------------------------------------------------


class Message(Schema):
    detail: str


class FieldErrorOut(Schema):
    index: int | None = Field(
        None, description="Position of the item in a batch body (0 for one object)."
    )
    field: str | None = Field(
        description="Where: the field of an item, or query.<name> / path.<name> / body."
    )
    message: str


class InvalidOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


ERRORS = {
    400: Message,
    401: Message,
    403: Message,
    404: Message,
    409: Message,
    413: Message,
    422: InvalidOut,
}


def errors(*codes: int) -> dict[int, type[Schema]]:
    """The documented error answers of an operation: 401 and 422 always, plus ``codes``."""
    return {code: ERRORS[code] for code in sorted({401, 422, *codes})}


def personal_tokens_allowed(operation):
    """Mark an API operation that a *personal* token (``ApiToken.user`` set) may use.

    ``config.api`` answers 403 to a personal token on every operation not marked; a marked
    one must restrict what it shows or changes to what ``request.auth.user`` may see."""
    operation.personal_tokens_allowed = True
    return operation


def field_errors(problems: list[dict], *, index: int | None = None) -> list[dict]:
    """Pydantic's error list as :class:`FieldErrorOut` bodies with readable messages."""
    result = []
    for problem in problems:
        loc = [str(part) for part in problem.get("loc", ())]
        message = problem.get("msg", "Invalid value.")
        cause = problem.get("ctx", {}).get("error")
        if problem.get("type") == "value_error" and cause is not None:
            message = str(cause)
        elif problem.get("type") == "extra_forbidden":
            message = "Unknown field."
        elif problem.get("type") == "missing":
            message = "This field is required."
        result.append({"index": index, "field": ".".join(loc) or None, "message": message})
    return result


class Body(BaseModel):
    """Base of request bodies: a JSON object with only the documented fields.

    Not a ninja ``Schema``: that one reads attributes of any value, so a body ``true``
    passed as an empty object.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _object_only(cls, value):
        if not isinstance(value, dict):
            raise ValueError("The body must be a JSON object.")
        return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """ninja's limit/offset pages with the offset bounded (a huge one was a database error)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: Offset = 0


class Parser(parser.Parser):
    """ninja's parser, except that a parameter given twice is refused: ninja kept the last
    value, so ``?offset=P&offset=0`` passed as a valid request."""

    def parse_querydict(self, data, list_fields, request):
        repeated = [key for key, values in data.lists()
                    if len(values) > 1 and key not in list_fields]
        if repeated:
            raise ValidationError([
                {"type": "repeated", "loc": ("query", key),
                 "msg": "Give this parameter once."} for key in repeated
            ])
        return super().parse_querydict(data, list_fields, request)
