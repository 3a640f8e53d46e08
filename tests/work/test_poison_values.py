"""Values no column can hold are refused at every door of work items (issue 12, item 3).

A date of year 1 (stored as 1 BC, unreadable afterwards), a UTC offset beyond ±15:59, an
integer beyond its column and a NUL character in text: the API answers 422, a CSV import
names the line and column, the list page's filter shows the error, and nothing is stored.
"""

import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .test_api import ITEM, snapshot

YEAR_ONE = "0001-01-01T00:00:00+01:00"
YEAR_ONE_MESSAGE = "0001-01-01 is out of range: use a date from 1970-01-01 to 2100-12-31."
OFFSET = "2025-03-01T09:30:00+16:00"
OFFSET_MESSAGE = "The UTC offset +16:00 is out of range: offsets go from -15:59 to +15:59."
NUL_MESSAGE = "Text cannot contain the NUL character (\\x00)."
BIG = 2**31


def _refused(response, *errors):
    assert response.status_code == 422
    assert response.json() == {
        "detail": "1 of the items are invalid; nothing was written.",
        "errors": [{"index": 0, "field": field, "message": message}
                   for field, message in errors],
    }


@pytest.mark.parametrize(("fields", "errors"), [
    ({"opened_at": YEAR_ONE}, [("opened_at", YEAR_ONE_MESSAGE)]),
    ({"resolved_at": "2101-01-01T00:00:00Z"},
     [("resolved_at", "2101-01-01 is out of range: use a date from 1970-01-01 to 2100-12-31.")]),
    ({"closed_at": OFFSET}, [("closed_at", OFFSET_MESSAGE)]),
    ({"occurred_at": "2025-03-01T09:30:00-23:59"},
     [("occurred_at", "The UTC offset -23:59 is out of range: offsets go from -15:59 to "
                      "+15:59.")]),
    ({"handle_time_seconds": BIG, "reopen_count": BIG},
     [("reopen_count", "Input should be less than or equal to 2147483647"),
      ("handle_time_seconds", "Input should be less than or equal to 2147483647")]),
    ({"skills": [{"name": "VPN", "minimum_level": 40_000}]},
     [("skills.0.object.minimum_level", "Input should be less than or equal to 32767")]),
    ({"short_description": "Printer\x00jam"}, [("short_description", NUL_MESSAGE)]),
    ({"team": "Desk\x00"}, [("team", NUL_MESSAGE)]),
    ({"attributes": {"queue": "VIP\x00"}},
     [("attributes", "Text cannot contain the NUL character (\\x00) (at queue).")]),
    ({"attributes": {"bad\x00key": 1}},
     [("attributes", "Names cannot contain the NUL character (\\x00).")]),
])
def test_api_refuses_values_no_column_holds_and_writes_nothing(api_a, fields, errors):
    response = api_a.post("work-items", {**ITEM, **fields})
    _refused(response, *errors)
    assert snapshot() == ([], 0)


def test_api_refuses_a_nul_in_the_external_id(api_a):
    _refused(api_a.post("work-items", {**ITEM, "external_id": "INC\x001"}),
             ("external_id", NUL_MESSAGE))
    assert snapshot() == ([], 0)


def test_api_query_and_path_parameters_out_of_range_are_422_not_500(api_a):
    api_a.post("work-items", ITEM)
    for params, field, message in [
        ({"updated_since": YEAR_ONE}, "query.updated_since", YEAR_ONE_MESSAGE),
        ({"updated_since": OFFSET}, "query.updated_since", OFFSET_MESSAGE),
        ({"cursor": "abc\x00"}, "query.cursor", NUL_MESSAGE),
    ]:
        response = api_a.get("work-items", params)
        assert response.status_code == 422, params
        assert response.json() == {"detail": "The request is invalid; nothing was done.",
                                   "errors": [{"index": None, "field": field,
                                               "message": message}]}
    response = api_a.get("work-items/INC\x00100")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": None, "field": "path.external_id", "message": NUL_MESSAGE}]


@pytest.mark.parametrize("position", [
    f"2025-03-01T09:30:00+00:00|{2**63}",  # an id beyond bigint
    "0001-01-01T00:00:00+01:00|1",  # a time before 1970
    "2025-03-01T09:30:00|1",  # a naive time
])
def test_api_forged_cursor_is_a_400(api_a, position):
    cursor = base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")
    response = api_a.get("work-items", {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"detail": "The cursor is not one this API returned."}


def _import(tenant, tmp_path, text: str) -> list[str]:
    path = tmp_path / "items.csv"
    path.write_bytes(text.encode())
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_work_items", "--org", tenant.org.slug, str(path),
                     stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_csv_import_names_the_line_and_column_of_each_poison_value(tenant_a, tmp_path):
    lines = _import(tenant_a, tmp_path, (
        "external_id,kind,short_description,opened_at,closed_at,handle_time_seconds,region\n"
        "I1,incident,ok,2025-03-01T09:30:00Z,,,\n"
        f"I2,incident,ok,{YEAR_ONE},,,\n"
        f"I3,incident,ok,,{OFFSET},,\n"
        f"I4,incident,ok,,,{BIG},\n"
        "I5,incident,Printer\x00jam,,,,\n"
        "I6,incident,ok,,,,North\x00\n"
    ))
    assert lines == [
        f"line 3, column opened_at: {YEAR_ONE_MESSAGE}",
        f"line 4, column closed_at: {OFFSET_MESSAGE}",
        "line 5, column handle_time_seconds: 2147483648 is out of range: use a whole number "
        "from 0 to 2147483647.",
        f"line 6, column short_description: {NUL_MESSAGE}",
        "line 7, column attributes: Text cannot contain the NUL character (\\x00) (at region).",
    ]
    assert snapshot() == ([], 0)


@pytest.mark.parametrize(("value", "message"), [
    ("0001-01-01", "0001-01-01 is out of range: use a date from 1970-01-01 to 2100-12-31."),
    ("9999-12-31", "9999-12-31 is out of range: use a date from 1970-01-01 to 2100-12-31."),
])
def test_list_filter_out_of_range_date_is_shown_as_an_error(tenant_a, login, value, message):
    manager = tenant_a.member(roles=["org_admin"])
    response = login(manager).get(tenant_a.url("work/"), {"opened_to": value})
    assert response.status_code == 200
    assert response.context["form"].errors == {"opened_to": [message]}
    assert 'min="1970-01-01" max="2100-12-31"' in response.content.decode()
