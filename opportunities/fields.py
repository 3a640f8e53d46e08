"""The fields a condition may name: every work-item field, read from the model.

:func:`work_item_fields` builds the :class:`~opportunities.conditions.FieldSpec` catalogue
by introspecting :class:`work.models.WorkItem` (so a field the work app adds is usable at
once); :func:`event_values` and :func:`event_changes` adapt a
:class:`~work.models.WorkEvent` to what :func:`~opportunities.conditions.evaluate` reads.

Foreign keys compare by name: ``team`` by the team's name, ``assigned_to`` and
``resolved_by`` by username — the same text work events record in ``changes``.
"""

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from django.db import models

from work.models import WorkEvent, WorkItem

from .conditions import FieldSpec

# Rows the language never names: keys, bookkeeping and the attributes container itself.
EXCLUDED = frozenset({"id", "organization", "attributes"})
# Foreign keys and the text field of the related row a condition compares.
RELATED_TEXT = {"team": "name", "assigned_to": "username", "resolved_by": "username"}

_KINDS: list[tuple[type[models.Field], str]] = [
    (models.BooleanField, "bool"),
    (models.FloatField, "float"),
    (models.DecimalField, "float"),
    (models.IntegerField, "int"),  # also the small/big/positive variants
    (models.DateTimeField, "datetime"),
    (models.CharField, "str"),
    (models.TextField, "str"),
]


@cache
def work_item_fields() -> dict[str, FieldSpec]:
    """Field name → spec for every work-item field a condition may use."""
    specs: dict[str, FieldSpec] = {}
    for field in WorkItem._meta.get_fields():
        if not getattr(field, "concrete", False) or field.name in EXCLUDED:
            continue
        label = str(getattr(field, "verbose_name", field.name))
        label = label[:1].upper() + label[1:]
        if field.is_relation:
            if field.name not in RELATED_TEXT or not field.many_to_one:
                continue
            specs[field.name] = FieldSpec(
                name=field.name, kind="str", lookup=f"{field.name}__{RELATED_TEXT[field.name]}",
                nullable=True, label=label,
            )
            continue
        kind = next((k for cls, k in _KINDS if isinstance(field, cls)), None)
        if kind is None:
            continue
        choices = frozenset(str(v) for v, _ in field.choices) if field.choices else None
        specs[field.name] = FieldSpec(
            name=field.name, kind=kind, lookup=field.name, nullable=field.null,
            choices=choices, label=label,
        )
    return specs


class ItemValues(Mapping):
    """A work item's current values as conditions read them, resolved lazily.

    Related names (team, usernames) cost a query each, so they are read only when a
    condition asks for them; every value is read at most once.
    """

    def __init__(self, item: WorkItem):
        self._item = item
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> Any:
        item = self._item
        if name == "attributes":
            return item.attributes or {}
        if name in RELATED_TEXT:
            if getattr(item, f"{name}_id") is None:
                return None
            return getattr(getattr(item, name), RELATED_TEXT[name])
        if name not in work_item_fields():
            raise KeyError(name)
        return getattr(item, name)

    def __iter__(self) -> Iterator[str]:
        yield from work_item_fields()
        yield "attributes"

    def __len__(self) -> int:
        return len(work_item_fields()) + 1


def event_values(event: WorkEvent) -> ItemValues:
    """The work item's values after the event (the stored item is the latest state)."""
    return ItemValues(event.work_item)


def event_changes(event: WorkEvent) -> dict[str, Any]:
    """The event's ``changes`` ({field: [old, new]}, attributes per key) as conditions read
    them. Work records related rows by name and dates as ISO text already."""
    return event.changes or {}
