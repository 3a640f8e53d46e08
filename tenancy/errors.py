"""The one domain error every service raises, how forms show it, and the tenant check.

A service refuses with ``DomainError(message, field=None)`` (or an app's subclass, such as
``SkillError``): ``message`` is a sentence for the person who asked, ``field`` names the
input it is about, if any. Every caller translates it the same way:

- a form: :func:`add_service_error` puts it next to the named field, or above the form;
- a view without a form: ``messages.error(request, error.message)``;
- the API: one exception handler (``config/api.py``) answers 422 with the body of every
  other 422 (``{"detail": message, "errors": [{"index", "field", "message"}]}``).

It is a Django ``ValidationError``, so Django's own form and admin machinery shows it too.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A rule of the domain was broken; ``message`` says what and what to do instead.

    ``field`` names the input at fault (a form field, an API body field) or is ``None``.
    A dict ``{field: [messages]}`` reports several fields at once (a model's
    ``full_clean``); ``message`` then joins them and ``field`` is ``None``.
    """

    def __init__(self, message: str | dict[str, list[str]], field: str | None = None):
        # ``field`` stays an attribute (not Django's per-field dict), so the error can also
        # be raised inside a form's ``clean_<field>`` and land on that field.
        super().__init__(message)
        self.field = field
        if isinstance(message, dict):
            self.message = " ".join(self.messages)

    def __str__(self) -> str:
        return self.message


class ImportRefused(DomainError):
    """A file was refused as a whole; nothing was imported. The message names the part."""


def add_service_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show ``error`` on ``form``: next to its field when the form has that field, else
    with the form's non-field errors."""
    by_field = error.message_dict if hasattr(error, "error_dict") else {error.field: error.messages}
    for field, messages in by_field.items():
        form.add_error(field if field in form.fields else None, messages)


def _organization_id(obj: Any) -> int:
    from .models import Organization

    return obj.pk if isinstance(obj, Organization) else obj.organization_id


def same_tenant(
    anchor: Any,
    *objects: Any,
    error: Callable[[str], DomainError] = DomainError,
    message: str | Callable[[list], str] | None = None,
) -> None:
    """Raise ``error`` unless every one of ``objects`` belongs to ``anchor``'s organization.

    ``anchor`` and ``objects`` are organizations or tenant-owned rows; ``None`` is skipped.
    ``message`` is the refusal, or a function of the foreign objects that writes it.
    Every service that links rows calls this before writing.
    """
    tenant = _organization_id(anchor)
    foreign = [obj for obj in objects if obj is not None and _organization_id(obj) != tenant]
    if not foreign:
        return
    if message is None:
        message = _default_message
    raise error(message(foreign) if callable(message) else message)


def _default_message(foreign: Iterable) -> str:
    names = ", ".join(sorted(str(obj) for obj in foreign))
    return f"These belong to another organization and cannot be used here: {names}."
