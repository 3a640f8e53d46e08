"""Validation and Python evaluation of the condition language (no database)."""

import pytest

from opportunities.conditions import (
    ConditionError,
    FieldSpec,
    evaluate,
    referenced_fields,
    uses_changes,
    validate,
)

FIELDS = {
    "priority": FieldSpec("priority", "int", "priority", nullable=False),
    "reassignment_count": FieldSpec("reassignment_count", "int", "reassignment_count",
                                    nullable=False),
    "escalated": FieldSpec("escalated", "bool", "escalated", nullable=False),
    "state": FieldSpec("state", "str", "state", nullable=False,
                       choices=frozenset({"new", "in_progress", "resolved", "closed"})),
    "category": FieldSpec("category", "str", "category", nullable=False),
    "sentiment": FieldSpec("sentiment", "float", "sentiment"),
    "team": FieldSpec("team", "str", "team__name"),
    "opened_at": FieldSpec("opened_at", "datetime", "opened_at"),
}

EXAMPLE = {
    "all": [
        {"field": "reassignment_count", "op": "gte", "value": 3},
        {"any": [
            {"field": "priority", "op": "in", "value": [1, 2]},
            {"field": "attributes.vip", "op": "eq", "value": True},
        ]},
    ]
}


def error_of(condition) -> str:
    with pytest.raises(ConditionError) as info:
        validate(condition, FIELDS)
    return str(info.value)


def test_validate_accepts_the_documented_example():
    assert validate(EXAMPLE, FIELDS) is None
    assert referenced_fields(EXAMPLE) == {"reassignment_count", "priority", "attributes.vip"}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"all": [{"field": "priority", "op": "eq", "value": 1},
                  {"any": [{"field": "state", "op": "equals", "value": "new"}]}]},
         "all[1].any[0]: unknown operator 'equals'."),
        ({"field": "colour", "op": "eq", "value": "red"}, "condition: unknown field 'colour'."),
        ({"field": "priority", "op": "eq", "value": "high"},
         "condition.value: 'priority' needs a whole number, got text."),
        ({"field": "priority", "op": "eq", "value": True},
         "condition.value: 'priority' needs a whole number, got true/false."),
        ({"field": "escalated", "op": "eq", "value": 1},
         "condition.value: 'escalated' needs true or false, got a number."),
        ({"field": "state", "op": "eq", "value": "done"},
         "condition.value: 'done' is not a valid 'state' (one of closed, in_progress, new, "
         "resolved)."),
        ({"field": "priority", "op": "in", "value": []},
         "condition: 'in' needs a non-empty list of values."),
        ({"field": "priority", "op": "in", "value": [1, "x"]},
         "condition.value[1]: 'priority' needs a whole number, got text."),
        ({"field": "priority", "op": "contains", "value": "1"},
         "condition: 'contains' needs a text field, not 'priority'."),
        ({"field": "escalated", "op": "gt", "value": True},
         "condition: 'gt' cannot compare the yes/no field 'escalated'."),
        ({"field": "category", "op": "gt", "value": "a"},
         "condition: 'gt' needs a number or date field, not 'category'."),
        ({"field": "priority", "op": "changed", "value": 1},
         "condition: 'changed' takes no value."),
        ({"field": "category", "op": "increased"},
         "condition: 'increased' needs a number field, not 'category'."),
        ({"field": "priority", "op": "eq"}, "condition: 'eq' needs a value."),
        ({"field": "priority", "op": "eq", "value": None},
         "condition.value: 'priority' is never empty; compare with a value."),
        ({"field": "opened_at", "op": "gt", "value": "2026-01-01"},
         "condition.value: 'opened_at' needs an ISO 8601 date-time with time zone."),
        ({"field": "attributes.a.b", "op": "eq", "value": 1},
         "condition: attribute name 'a.b' must be letters, digits, '-' or '_'."),
        ({"field": "attributes.vip", "op": "eq", "value": [1]},
         "condition.value: attribute values are text, numbers, true/false or null."),
        ({"all": []}, "condition: 'all' needs a non-empty list of conditions."),
        ({"all": [{"field": "priority", "op": "eq", "value": 1}], "any": []},
         "condition: a group has exactly one key ('all'); remove 'any'."),
        ({"field": "priority", "op": "eq", "value": 1, "extra": 2},
         "condition: unknown key 'extra'; a rule has 'field', 'op' and 'value' "
         "(or is a group: 'all', 'any', 'not')."),
        ([1], "condition: expected an object, got a list."),
        ({"any": [{"not": "x"}]}, "any[0].not: expected an object, got text."),
    ],
)
def test_validate_names_the_bad_part(condition, message):
    assert error_of(condition) == message


def test_validate_refuses_nesting_deeper_than_ten():
    leaf = {"field": "priority", "op": "eq", "value": 1}
    condition = leaf
    for _ in range(10):
        condition = {"all": [condition]}
    assert error_of(condition) == (
        "all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0].all[0]: "
        "groups are nested deeper than 10 levels."
    )
    validate(_nest(leaf, 9), FIELDS)


def _nest(leaf, levels):
    node = leaf
    for _ in range(levels):
        node = {"all": [node]}
    return node


def test_validate_refuses_more_than_two_hundred_parts():
    leaf = {"field": "priority", "op": "eq", "value": 1}
    validate({"any": [leaf] * 199}, FIELDS)
    assert error_of({"any": [leaf] * 200}) == "any[199]: the condition has more than 200 parts."


VALUES = {
    "priority": 2, "reassignment_count": 3, "escalated": False, "state": "in_progress",
    "category": "Network", "sentiment": None, "team": "Service Desk",
    "opened_at": "2026-11-01T09:00:00+00:00", "attributes": {"vip": True, "tier": "gold"},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (EXAMPLE, True),
        ({"field": "reassignment_count", "op": "gt", "value": 3}, False),
        ({"field": "priority", "op": "not_in", "value": [1, 2]}, False),
        ({"field": "category", "op": "contains", "value": "Net"}, True),
        ({"field": "category", "op": "contains", "value": "net"}, False),
        ({"field": "category", "op": "icontains", "value": "NET"}, True),
        ({"field": "sentiment", "op": "is_empty"}, True),
        ({"field": "sentiment", "op": "is_empty", "value": False}, False),
        ({"field": "sentiment", "op": "lt", "value": 0}, False),
        ({"field": "sentiment", "op": "ne", "value": 0.5}, True),
        ({"field": "team", "op": "eq", "value": "Service Desk"}, True),
        ({"field": "opened_at", "op": "lt", "value": "2026-11-01T10:00:00+01:00"}, False),
        ({"field": "opened_at", "op": "lte", "value": "2026-11-01T10:00:00+01:00"}, True),
        ({"field": "attributes.vip", "op": "eq", "value": 1}, False),
        ({"field": "attributes.tier", "op": "in", "value": ["gold", "silver"]}, True),
        ({"field": "attributes.missing", "op": "is_empty"}, True),
        ({"field": "attributes.missing", "op": "eq", "value": None}, True),
        ({"field": "attributes.missing", "op": "not_in", "value": ["x"]}, True),
        ({"not": {"field": "escalated", "op": "eq", "value": False}}, False),
    ],
)
def test_evaluate_on_current_values(condition, expected):
    validate(condition, FIELDS)
    assert evaluate(condition, FIELDS, VALUES) is expected


@pytest.mark.parametrize(
    ("condition", "changes", "expected"),
    [
        ({"field": "team", "op": "changed"}, {"team": ["Network", "Service Desk"]}, True),
        ({"field": "team", "op": "changed"}, {}, False),
        ({"field": "state", "op": "changed_to", "value": "in_progress"},
         {"state": ["resolved", "in_progress"]}, True),
        ({"field": "state", "op": "changed_from", "value": "resolved"},
         {"state": ["resolved", "in_progress"]}, True),
        ({"field": "state", "op": "changed_from", "value": "new"},
         {"state": ["resolved", "in_progress"]}, False),
        ({"field": "reassignment_count", "op": "increased"},
         {"reassignment_count": [2, 3]}, True),
        ({"field": "reassignment_count", "op": "increased"},
         {"reassignment_count": [3, 2]}, False),
        ({"field": "attributes.tier", "op": "changed_to", "value": "gold"},
         {"attributes": [{"tier": "silver"}, {"tier": "gold", "vip": True}]}, True),
        ({"field": "attributes.vip", "op": "changed"},
         {"attributes": [{"vip": True}, {"vip": True, "tier": "gold"}]}, False),
    ],
)
def test_evaluate_change_operators(condition, changes, expected):
    validate(condition, FIELDS)
    assert evaluate(condition, FIELDS, VALUES, changes) is expected


def test_uses_changes_and_referenced_fields():
    condition = {"all": [{"field": "priority", "op": "eq", "value": 1},
                         {"not": {"field": "team", "op": "changed"}}]}
    assert uses_changes(condition) is True
    assert uses_changes(EXAMPLE) is False
    assert referenced_fields(condition) == {"priority", "team"}
