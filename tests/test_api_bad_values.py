"""Every router of the API refuses values no column holds with its documented 422 (issue 12,
items 3 and 6): huge offsets and ids, NUL characters, a body that is not an object.

Each of these answered 500 (a database error), or 200 for a body ``true``, before.
"""

import pytest

from tenancy.services import create_api_token
from work.services import upsert_work_items

NUL_MESSAGE = "Text cannot contain the NUL character (\\x00)."
HUGE = str(2**63)


@pytest.fixture
def api(client, tenant_a):
    with tenant_a.scope():
        upsert_work_items(organization=tenant_a.org,
                          items=[{"external_id": "INC1", "kind": "incident"}])
        _token, raw = create_api_token(organization=tenant_a.org, name="feed")
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, data=None):
        if method == "get":
            return client.get(f"/api/v1/{path}", data, headers=headers)
        return client.post(f"/api/v1/{path}", data, content_type="application/json",
                           headers=headers)

    return call


def _invalid(field: str, message: str) -> dict:
    return {"detail": "The request is invalid; nothing was done.",
            "errors": [{"index": None, "field": field, "message": message}]}


@pytest.mark.parametrize(("path", "params", "field", "message"), [
    ("learning-tasks", {"offset": HUGE}, "query.offset",
     "Input should be less than or equal to 2147483647"),
    ("learning-tasks", {"limit": HUGE}, "query.limit",
     "Input should be less than or equal to 1000"),
    ("learning-tasks", {"assigned_to": "ann\x00"}, "query.assigned_to", NUL_MESSAGE),
    ("skills", {"offset": HUGE}, "query.offset",
     "Input should be less than or equal to 2147483647"),
    ("skills", {"category": "Net\x00"}, "query.category", NUL_MESSAGE),
    ("user-skills", {"offset": HUGE}, "query.offset",
     "Input should be less than or equal to 2147483647"),
    ("user-skills", {"user": "ann\x00"}, "query.user", NUL_MESSAGE),
    ("user-skills", {"skill": "VPN\x00"}, "query.skill", NUL_MESSAGE),
    ("skill-recommendations", {"offset": HUGE}, "query.offset",
     "Input should be less than or equal to 2147483647"),
    ("skill-recommendations", {"agent": "ann\x00"}, "query.agent", NUL_MESSAGE),
    ("assessments", {"trainee": "ann\x00"}, "query.trainee", NUL_MESSAGE),
    ("assessments", {"opportunity": "Slow\x00"}, "query.opportunity", NUL_MESSAGE),
    ("assessments", {"cursor": "MQ\x00"}, "query.cursor", NUL_MESSAGE),
    ("assessments/" + HUGE, {}, "path.assessment_id",
     "Input should be less than or equal to 9223372036854775807"),
    ("survey-responses", {"template": HUGE}, "query.template",
     "Input should be less than or equal to 9223372036854775807"),
    ("survey-responses", {"cursor": "1\x00"}, "query.cursor", NUL_MESSAGE),
    ("work-items/INC1\x00", {}, "path.external_id", NUL_MESSAGE),
])
def test_bad_query_and_path_values_are_a_documented_422(api, path, params, field, message):
    response = api("get", path, params)
    assert response.status_code == 422
    assert response.json() == _invalid(field, message)


@pytest.mark.parametrize("body", ["true", "[]", '"assign"', "5"])
def test_route_refuses_a_body_that_is_not_an_object(api, body):
    response = api("post", "work-items/INC1/route", body)
    assert response.status_code == 422
    assert response.json() == _invalid("body.body", "The body must be a JSON object.")


@pytest.mark.parametrize("body", [b"\x03\x1e\xff\x07M", b"{not json", b'{"assign": tru'])
def test_a_body_that_is_not_json_is_the_documented_422_naming_the_body(api, body):
    response = api("post", "work-items/INC1/route", body)
    assert response.status_code == 422
    assert response.json() == _invalid("body", "The body is not valid JSON in UTF-8.")


def test_route_refuses_unknown_fields_and_a_non_boolean_assign(api):
    response = api("post", "work-items/INC1/route", {"assign": 1, "colour": "red"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is invalid; nothing was done.",
        "errors": [
            {"index": None, "field": "body.body.assign", "message": "Input should be a valid "
                                                                  "boolean"},
            {"index": None, "field": "body.body.colour", "message": "Unknown field."},
        ],
    }


def test_route_still_ranks_with_an_object_or_no_body(api):
    assert api("post", "work-items/INC1/route", {"assign": False}).status_code == 200
    assert api("post", "work-items/INC1/route").status_code == 200


def test_every_operation_documents_401_and_its_422_body(client):
    schema = client.get("/api/v1/openapi.json").json()
    invalid = {"$ref": "#/components/schemas/InvalidOut"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "422"} <= set(responses), (method, path)
            # A success answer: 200, or 201 where the operation creates (POST evaluations).
            assert {"200", "201"} & set(responses), (method, path)
            assert responses["422"]["content"]["application/json"]["schema"] == invalid
    assert schema["components"]["schemas"]["InvalidOut"]["required"] == ["detail", "errors"]


def test_a_parameter_given_twice_is_refused_not_silently_the_last(api):
    response = api("get", "user-skills?offset=P&offset=0&limit=1&limit=2")
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is invalid; nothing was done.",
        "errors": [
            {"index": None, "field": "query.offset", "message": "Give this parameter once."},
            {"index": None, "field": "query.limit", "message": "Give this parameter once."},
        ],
    }
    assert api("get", "user-skills?offset=0&limit=1").status_code == 200
