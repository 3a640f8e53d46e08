"""The condition language of coaching opportunities: JSON data, never ``eval``.

A condition is a tree::

    {"all": [{"field": "reassignment_count", "op": "gte", "value": 3},
             {"any": [{"field": "priority", "op": "in", "value": [1, 2]},
                      {"field": "attributes.vip", "op": "eq", "value": true}]}]}

Groups are ``all`` (every child), ``any`` (at least one) and ``not`` (one child). A leaf
names a field, an operator and (for most operators) a value. The same tree is

* validated, with messages that name the bad part (``all[1].any[0]: unknown operator``);
* evaluated in Python against a work item's values and the changes of one event;
* compiled to a Django ``Q`` for the parts that do not depend on a change, so a page can
  preview how many stored work items a condition would have matched.

Change operators (``changed``, ``changed_to``, ``changed_from``, ``increased``) only make
sense for an event. In the ``Q`` preview, ``changed_to X`` reads as "is now X" and the
other change operators as "true": the preview is an upper bound for those conditions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, Func, Q, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.lookups import Contains, Exact, IContains
from django.utils.dateparse import parse_datetime

from tenancy.errors import DomainError

ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_DEPTH = 10
MAX_NODES = 200

STATIC_OPS = frozenset(
    {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "icontains", "is_empty"}
)
CHANGE_OPS = frozenset({"changed", "changed_to", "changed_from", "increased"})
OPERATORS = STATIC_OPS | CHANGE_OPS
ORDERED_OPS = frozenset({"gt", "gte", "lt", "lte"})
TEXT_OPS = frozenset({"contains", "icontains"})
NO_VALUE_OPS = frozenset({"changed", "increased"})

OPERATOR_LABELS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "icontains": "contains (any case)",
    "is_empty": "is empty",
    "changed": "changed",
    "changed_to": "changed to",
    "changed_from": "changed from",
    "increased": "increased",
}


class ConditionError(DomainError):
    """A condition is invalid; ``str(error)`` names the part, e.g. ``all[1]: …``."""


@dataclass(frozen=True)
class FieldSpec:
    """A field a condition may name.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``str``, ``datetime`` or ``json``
    (a key inside the ``attributes`` JSON). ``lookup`` is the ORM path used in ``Q``.
    ``choices`` restricts string values when given.
    """

    name: str
    kind: str
    lookup: str
    nullable: bool = True
    choices: frozenset[str] | None = None
    label: str = ""


# --- validation -----------------------------------------------------------------------


def validate(condition: Any, fields: Mapping[str, FieldSpec]) -> None:
    """Raise :class:`ConditionError` naming the first bad part of ``condition``."""
    counter = [0]
    _validate_node(condition, fields, path="", depth=1, counter=counter)


def _where(path: str) -> str:
    return path or "condition"


def _validate_node(node, fields, *, path, depth, counter) -> None:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise ConditionError(f"{_where(path)}: the condition has more than {MAX_NODES} parts.")
    if depth > MAX_DEPTH:
        raise ConditionError(f"{_where(path)}: groups are nested deeper than {MAX_DEPTH} levels.")
    if not isinstance(node, dict):
        raise ConditionError(f"{_where(path)}: expected an object, got {_type_name(node)}.")
    groups = [key for key in ("all", "any", "not") if key in node]
    if groups:
        if len(node) != 1:
            extra = sorted(set(node) - {groups[0]})
            raise ConditionError(
                f"{_where(path)}: a group has exactly one key ('{groups[0]}'); "
                f"remove {', '.join(repr(k) for k in extra)}."
            )
        key = groups[0]
        prefix = f"{path}." if path else ""
        if key == "not":
            _validate_node(node["not"], fields, path=f"{prefix}not", depth=depth + 1,
                           counter=counter)
            return
        children = node[key]
        if not isinstance(children, list) or not children:
            raise ConditionError(f"{_where(path)}: '{key}' needs a non-empty list of conditions.")
        for index, child in enumerate(children):
            _validate_node(child, fields, path=f"{prefix}{key}[{index}]", depth=depth + 1,
                           counter=counter)
        return
    _validate_leaf(node, fields, path=_where(path))


def _validate_leaf(node: dict, fields, *, path: str) -> None:
    unknown_keys = set(node) - {"field", "op", "value"}
    if unknown_keys:
        raise ConditionError(
            f"{path}: unknown key {sorted(unknown_keys)[0]!r}; a rule has 'field', 'op' and "
            "'value' (or is a group: 'all', 'any', 'not')."
        )
    if "field" not in node or "op" not in node:
        raise ConditionError(f"{path}: a rule needs 'field' and 'op'.")
    name, op = node["field"], node["op"]
    if not isinstance(op, str) or op not in OPERATORS:
        raise ConditionError(f"{path}: unknown operator {op!r}.")
    spec = resolve_field(name, fields, path=path)
    has_value = "value" in node
    value = node.get("value")
    if op in NO_VALUE_OPS:
        if has_value:
            raise ConditionError(f"{path}: '{op}' takes no value.")
        if op == "increased" and spec.kind not in ("int", "float", "json"):
            raise ConditionError(f"{path}: 'increased' needs a number field, not '{name}'.")
        return
    if op == "is_empty":
        if has_value and not isinstance(value, bool):
            raise ConditionError(f"{path}: 'is_empty' takes true or false.")
        return
    if not has_value:
        raise ConditionError(f"{path}: '{op}' needs a value.")
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{path}: '{op}' needs a non-empty list of values.")
        if len(value) > 1000:
            raise ConditionError(f"{path}: '{op}' accepts at most 1000 values.")
        for index, item in enumerate(value):
            _check_value(spec, item, path=f"{path}.value[{index}]")
        return
    if op in TEXT_OPS:
        if spec.kind not in ("str", "json"):
            raise ConditionError(f"{path}: '{op}' needs a text field, not '{name}'.")
        if not isinstance(value, str) or not value:
            raise ConditionError(f"{path}: '{op}' needs a non-empty text value.")
        return
    if op in ORDERED_OPS and spec.kind == "bool":
        raise ConditionError(f"{path}: '{op}' cannot compare the yes/no field '{name}'.")
    if op in ORDERED_OPS and spec.kind == "json" and not _is_number(value):
        raise ConditionError(f"{path}: '{op}' on an attribute needs a number.")
    if op in ORDERED_OPS and spec.kind == "str":
        raise ConditionError(f"{path}: '{op}' needs a number or date field, not '{name}'.")
    _check_value(spec, value, path=f"{path}.value")


def resolve_field(name: Any, fields: Mapping[str, FieldSpec], *, path: str = "") -> FieldSpec:
    if not isinstance(name, str) or not name:
        raise ConditionError(f"{path}: 'field' must be a field name.")
    if name.startswith("attributes."):
        key = name.removeprefix("attributes.")
        if not ATTRIBUTE_KEY.fullmatch(key) or "__" in key:
            raise ConditionError(
                f"{path}: attribute name {key!r} must be letters, digits, '-' or '_'."
            )
        return FieldSpec(name=name, kind="json", lookup=f"attributes__{key}", label=key)
    if name not in fields:
        raise ConditionError(f"{path}: unknown field {name!r}.")
    return fields[name]


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(spec: FieldSpec, value, *, path: str) -> None:
    kind = spec.kind
    if kind == "json":
        if not (value is None or isinstance(value, str | bool) or _is_number(value)):
            raise ConditionError(f"{path}: attribute values are text, numbers, true/false or null.")
        return
    if value is None:
        if not spec.nullable:
            raise ConditionError(f"{path}: '{spec.name}' is never empty; compare with a value.")
        return
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ConditionError(
            f"{path}: '{spec.name}' needs a whole number, got {_type_name(value)}."
        )
    if kind == "float" and not _is_number(value):
        raise ConditionError(f"{path}: '{spec.name}' needs a number, got {_type_name(value)}.")
    if kind == "bool" and not isinstance(value, bool):
        raise ConditionError(f"{path}: '{spec.name}' needs true or false, got {_type_name(value)}.")
    if kind == "str":
        if not isinstance(value, str):
            raise ConditionError(f"{path}: '{spec.name}' needs text, got {_type_name(value)}.")
        if spec.choices is not None and value not in spec.choices:
            raise ConditionError(
                f"{path}: {value!r} is not a valid '{spec.name}' "
                f"(one of {', '.join(sorted(spec.choices))})."
            )
    if kind == "datetime" and (not isinstance(value, str) or _parse_dt(value) is None):
        raise ConditionError(f"{path}: '{spec.name}' needs an ISO 8601 date-time with time zone.")


def _parse_dt(value: str) -> dt.datetime | None:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _type_name(value) -> str:
    if value is None:
        return "null"
    return {bool: "true/false", int: "a number", float: "a number", str: "text",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def uses_changes(condition) -> bool:
    """Whether any leaf needs an event's changes (so a stored item alone cannot decide)."""
    if "all" in condition or "any" in condition:
        return any(uses_changes(child) for child in condition.get("all") or condition["any"])
    if "not" in condition:
        return uses_changes(condition["not"])
    return condition["op"] in CHANGE_OPS


def referenced_fields(condition) -> set[str]:
    if "all" in condition or "any" in condition:
        result = set()
        for child in condition.get("all") or condition["any"]:
            result |= referenced_fields(child)
        return result
    if "not" in condition:
        return referenced_fields(condition["not"])
    return {condition["field"]}


# --- evaluation -----------------------------------------------------------------------

_MISSING = object()


def evaluate(
    condition,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    changes: Mapping[str, Any] | None = None,
) -> bool:
    """Evaluate a validated condition.

    ``values`` maps field names to the item's current values (foreign keys as the text the
    ``lookup`` compares, e.g. a team's name) and ``attributes`` to the attributes dict.
    ``changes`` maps field names to ``[old, new]`` for the event being evaluated.
    """
    changes = changes or {}
    if "all" in condition:
        return all(evaluate(child, fields, values, changes) for child in condition["all"])
    if "any" in condition:
        return any(evaluate(child, fields, values, changes) for child in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], fields, values, changes)
    return _evaluate_leaf(condition, fields, values, changes)


def _current(name: str, values: Mapping[str, Any]):
    if name.startswith("attributes."):
        attributes = values.get("attributes") or {}
        return attributes.get(name.removeprefix("attributes."), _MISSING)
    return values.get(name)


def _change(name: str, changes: Mapping[str, Any]):
    if name in changes:
        # Work events record attribute changes per key ("attributes.vip": [old, new]).
        return changes[name]
    if name.startswith("attributes."):
        key = name.removeprefix("attributes.")
        pair = changes.get("attributes")
        if pair is None:
            return None
        old, new = ((pair[0] or {}), (pair[1] or {}))
        if old.get(key, _MISSING) == new.get(key, _MISSING):
            return None
        return [old.get(key), new.get(key)]
    return changes.get(name)


def _coerce(spec: FieldSpec, value):
    if spec.kind == "datetime" and isinstance(value, str):
        return _parse_dt(value)
    return value


def _evaluate_leaf(node, fields, values, changes) -> bool:
    name, op = node["field"], node["op"]
    spec = resolve_field(name, fields)
    value = _coerce(spec, node.get("value"))
    if op in CHANGE_OPS:
        pair = _change(name, changes)
        if pair is None:
            return False
        old, new = _coerce(spec, pair[0]), _coerce(spec, pair[1])
        if op == "changed":
            return old != new
        if op == "changed_to":
            return old != new and _equal(new, value)
        if op == "changed_from":
            return old != new and _equal(old, value)
        return _is_number(new) and (old is None or (_is_number(old) and new > old))
    current = _current(name, values)
    if spec.kind == "json":
        return _evaluate_json(op, current, value, node)
    current = _coerce(spec, current)
    if op == "is_empty":
        empty = current is None or current == ""
        return empty if node.get("value", True) else not empty
    if op in ("eq", "ne"):
        equal = current is None if value is None else (
            current is not None and _equal(current, value)
        )
        return equal if op == "eq" else not equal
    if op in ORDERED_OPS:
        if current is None or value is None:
            return False
        return {"gt": current > value, "gte": current >= value,
                "lt": current < value, "lte": current <= value}[op]
    if op in ("in", "not_in"):
        if current is None:
            found = None in value
        else:
            found = any(_equal(current, _coerce(spec, v)) for v in value if v is not None)
        return found if op == "in" else not found
    if op == "contains":
        return isinstance(current, str) and value in current
    if op == "icontains":
        return isinstance(current, str) and value.lower() in current.lower()
    raise ConditionError(f"unknown operator {op!r}")


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _evaluate_json(op, current, value, node) -> bool:
    present = current is not _MISSING and current is not None
    if op == "is_empty":
        empty = not present or current == ""
        return empty if node.get("value", True) else not empty
    if op == "eq":
        return _equal(current, value) if present else value is None
    if op == "ne":
        return not (_equal(current, value) if present else value is None)
    if op in ORDERED_OPS:
        if not present or not _is_number(current):
            return False
        return {"gt": current > value, "gte": current >= value,
                "lt": current < value, "lte": current <= value}[op]
    if op in ("in", "not_in"):
        if present:
            found = any(_equal(current, v) for v in value if v is not None)
        else:
            found = None in value
        return found if op == "in" else not found
    if op == "contains":
        return present and isinstance(current, str) and value in current
    if op == "icontains":
        return present and isinstance(current, str) and value.lower() in current.lower()
    raise ConditionError(f"unknown operator {op!r}")


# --- compilation to Q -----------------------------------------------------------------


def to_q(condition, fields: Mapping[str, FieldSpec]) -> Q:
    """Compile the static parts of a validated condition to a ``Q`` (see module docstring)."""
    if "all" in condition:
        q = Q()
        for child in condition["all"]:
            q &= to_q(child, fields)
        return q
    if "any" in condition:
        q = None
        for child in condition["any"]:
            child_q = to_q(child, fields)
            q = child_q if q is None else q | child_q
        return q
    if "not" in condition:
        if uses_changes(condition["not"]):
            return Q()
        return ~to_q(condition["not"], fields)
    return _leaf_q(condition, fields)


def _leaf_q(node, fields) -> Q:
    name, op = node["field"], node["op"]
    spec = resolve_field(name, fields)
    lookup = spec.lookup
    value = _coerce(spec, node.get("value"))
    if op == "changed_to":
        op = "eq"
    elif op in CHANGE_OPS:
        return Q()
    if spec.kind == "json":
        return _json_q(op, lookup, value, node)
    if op == "is_empty":
        empty = Q(**{f"{lookup}__isnull": True}) if spec.nullable else Q(pk__in=[])
        if spec.kind == "str":
            empty |= Q(**{lookup: ""})
        return empty if node.get("value", True) else ~empty
    if op == "eq":
        return Q(**{f"{lookup}__isnull": True}) if value is None else Q(**{lookup: value})
    if op == "ne":
        if value is None:
            return Q(**{f"{lookup}__isnull": False})
        return ~Q(**{lookup: value}) | Q(**{f"{lookup}__isnull": True})
    if op in ORDERED_OPS:
        return Q(**{f"{lookup}__{op}": value})
    if op in ("in", "not_in"):
        listed = [_coerce(spec, v) for v in value if v is not None]
        null = Q(**{f"{lookup}__isnull": True})
        found = Q(**{f"{lookup}__in": listed}) if listed else Q(pk__in=[])
        if op == "in":
            return found | null if None in value else found
        not_found = ~found | null
        return not_found & ~null if None in value else not_found
    if op == "contains":
        return Q(**{f"{lookup}__cscontains": value})
    if op == "icontains":
        return Q(**{f"{lookup}__icontains": value})
    raise ConditionError(f"unknown operator {op!r}")


class CaseSensitiveContains(Contains):
    """``contains`` that is case-sensitive on every database, as the Python evaluator is:
    SQLite's LIKE ignores the case of ASCII letters, so there it is ``instr(…) > 0``."""

    lookup_name = "cscontains"

    def as_sql(self, compiler, connection):  # LIKE is case-sensitive elsewhere
        return Contains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "resolve_expression"):
            rhs, rhs_params = compiler.compile(self.rhs)
        else:
            rhs, rhs_params = "%s", [self.rhs]
        return f"instr({lhs}, {rhs}) > 0", [*lhs_params, *rhs_params]


CharField.register_lookup(CaseSensitiveContains)
TextField.register_lookup(CaseSensitiveContains)


class JSONTypeOf(Func):
    """The JSON type of ``attributes -> key`` under PostgreSQL's names on every database:
    'number' for numbers and 'string' for strings (SQLite's json_type says 'integer' /
    'real' and 'text')."""

    output_field = CharField()

    def __init__(self, key: str):
        super().__init__(F("attributes"))
        self.key = key

    def _column(self, compiler):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = self._column(compiler)
        return f"jsonb_typeof({sql} -> %s)", [*params, self.key]

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = self._column(compiler)
        path = f'$."{self.key}"'
        return (
            f"CASE json_type({sql}, %s) WHEN 'integer' THEN 'number' "
            f"WHEN 'real' THEN 'number' WHEN 'text' THEN 'string' "
            f"ELSE json_type({sql}, %s) END",
            [*params, path, *params, path],
        )


def _json_q(op, lookup, value, node) -> Q:
    key = lookup.removeprefix("attributes__")
    # Every comparison on the key is joined with "has the key": without it an absent key
    # makes the SQL comparison NULL, and NOT (NULL) drops the row where Python says True.
    has = Q(attributes__has_key=key)
    absent = ~has | Q(**{lookup: None})
    if op == "is_empty":
        empty = absent | (has & Q(**{lookup: ""}) & _is_json_string(key))
        return empty if node.get("value", True) else ~empty
    if op == "eq":
        return absent if value is None else has & Q(**{lookup: value}) & _same_json_type(key, value)
    if op == "ne":
        if value is None:
            return ~absent
        return ~(has & Q(**{lookup: value}) & _same_json_type(key, value)) | absent
    if op in ORDERED_OPS:
        return has & Q(**{f"{lookup}__{op}": value}) & _is_json_number(key)
    listed = [v for v in value if v is not None] if op in ("in", "not_in") else []
    if op == "in":
        q = Q(pk__in=[])
        for item in listed:
            q |= has & Q(**{lookup: item}) & _same_json_type(key, item)
        return q | absent if None in value else q
    if op == "not_in":
        matched = Q(pk__in=[])
        for item in listed:
            matched |= has & Q(**{lookup: item}) & _same_json_type(key, item)
        q = ~matched | absent
        return q & ~absent if None in value else q
    text = KT(lookup)
    if op == "contains":
        return has & Q(CaseSensitiveContains(text, Value(value))) & _is_json_string(key)
    if op == "icontains":
        return has & Q(IContains(text, Value(value))) & _is_json_string(key)
    raise ConditionError(f"unknown operator {op!r}")


def _json_type_q(key: str, json_type: str) -> Q:
    return Q(Exact(JSONTypeOf(key), Value(json_type)))


def _is_json_number(key: str) -> Q:
    return _json_type_q(key, "number")


def _is_json_string(key: str) -> Q:
    return _json_type_q(key, "string")


def _same_json_type(key: str, value) -> Q:
    """JSON equality must not let 1 equal true (SQLite stores both as integers)."""
    if isinstance(value, bool):
        return Q(Exact(JSONTypeOf(key), Value("true" if value else "false"))) | Q(
            Exact(JSONTypeOf(key), Value("boolean"))
        )
    if _is_number(value):
        return _is_json_number(key)
    return _is_json_string(key)
