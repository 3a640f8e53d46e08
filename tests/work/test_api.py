"""The HTTP API: token auth per organization, batch upsert, reads, and every bad input."""

import json

import pytest
from django_scopes import scopes_disabled

from skills.services import save_skill
from tenancy.models import ApiToken
from tenancy.services import revoke_api_token
from work.models import WorkEvent, WorkItem

from .conftest import ApiClient, make_token

ITEM = {"external_id": "INC100", "kind": "incident", "short_description": "Printer jam",
        "priority": 3, "opened_at": "2025-03-01T09:30:00Z"}


def snapshot():
    """Every work item and event of every tenant, to prove a refusal changed nothing."""
    with scopes_disabled():
        return (
            sorted(WorkItem.objects.values_list("organization_id", "external_id", "priority",
                                                "short_description")),
            WorkEvent.objects.count(),
        )


def test_post_one_item_creates_it_in_the_tokens_organization(api_a, tenant_a):
    response = api_a.post("work-items", ITEM)
    assert response.status_code == 200
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    with tenant_a.scope():
        item = WorkItem.objects.get()
        assert item.organization == tenant_a.org
        assert (item.external_id, item.kind, item.priority) == ("INC100", "incident", 3)
        assert WorkEvent.objects.get().type == "created"


def test_post_list_upserts_with_merge_semantics(api_a, tenant_a):
    agent = tenant_a.member(roles=["agent"], username="ana", email="ana@example.com")
    tenant_a.team(name="Service Desk", members=[agent])
    with tenant_a.scope():
        save_skill(organization=tenant_a.org, name="Billing")
    api_a.post("work-items", ITEM)
    response = api_a.post("work-items", [
        {"external_id": "INC100", "state": "resolved", "resolved_by": "ANA@example.com",
         "short_description": None},
        {"external_id": "CALL1", "kind": "call", "team": "Service Desk", "assigned_to": "ana",
         "handle_time_seconds": 340, "sentiment": -0.5, "attributes": {"queue": "VIP"},
         "skills": [{"name": "Billing", "minimum_level": 2}]},
        {"external_id": "INC100x", "kind": "incident"},
    ])
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 1, "unchanged": 0}
    with tenant_a.scope():
        item = WorkItem.objects.get(external_id="INC100")
        assert (item.state, item.resolved_by, item.short_description, item.priority) == (
            "resolved", agent, "", 3
        )
    again = api_a.post("work-items", {"external_id": "INC100", "state": "resolved"})
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}


def test_get_one_item_returns_its_fields(api_a, tenant_a):
    agent = tenant_a.member(roles=["agent"], username="ana")
    tenant_a.team(name="Desk", members=[agent])
    with tenant_a.scope():
        save_skill(organization=tenant_a.org, name="VPN")
    api_a.post("work-items", {**ITEM, "team": "Desk", "assigned_to": "ana",
                              "skills": ["VPN"], "attributes": {"source": "snow"}})
    response = api_a.get("work-items/INC100")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("external_id", "kind", "state", "priority", "team",
                                 "assigned_to", "resolved_by", "opened_at", "skills",
                                 "attributes", "reassignment_count")} == {
        "external_id": "INC100", "kind": "incident", "state": "new", "priority": 3,
        "team": "Desk", "assigned_to": "ana", "resolved_by": None,
        "opened_at": "2025-03-01T09:30:00Z", "skills": [{"name": "VPN", "minimum_level": None}],
        "attributes": {"source": "snow"}, "reassignment_count": 0,
    }


def test_external_id_with_slash_is_readable(api_a):
    api_a.post("work-items", {"external_id": "snow/INC/7", "kind": "incident"})
    assert api_a.get("work-items/snow/INC/7").json()["external_id"] == "snow/INC/7"


def test_list_pages_with_cursor_and_filters(api_a, tenant_a):
    api_a.post("work-items", [{"external_id": f"C{i}", "kind": "call"} for i in range(5)]
               + [{"external_id": "E1", "kind": "email"}])
    seen, cursor = [], None
    while True:
        params = {"kind": "call", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api_a.get("work-items", params).json()
        seen += [item["external_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["C0", "C1", "C2", "C3", "C4"]
    api_a.post("work-items", {"external_id": "C2", "priority": 1})
    with tenant_a.scope():
        stamp = WorkItem.objects.get(external_id="C2").updated_at
    since = api_a.get("work-items", {"updated_since": stamp.isoformat()}).json()
    assert [i["external_id"] for i in since["items"]] == ["C2"]
    assert since["next_cursor"] is None


def test_list_refuses_a_forged_cursor(api_a):
    response = api_a.get("work-items", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json() == {"detail": "The cursor is not one this API returned."}


def test_token_of_one_tenant_never_sees_anothers_rows(api_a, api_b, tenant_a, tenant_b):
    api_a.post("work-items", ITEM)
    response = api_b.get("work-items/INC100")
    assert response.status_code == 404
    assert response.json() == {"detail": "No work item with external_id “INC100”."}
    assert api_b.get("work-items").json() == {"items": [], "next_cursor": None}
    # Writing the same external_id with B's token creates B's own item; A's is untouched.
    assert api_b.post("work-items", {**ITEM, "priority": 1}).json()["created"] == 1
    with tenant_a.scope():
        assert WorkItem.objects.get().priority == 3


def test_openapi_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    body = schema.json()
    assert {"/api/v1/work-items", "/api/v1/work-items/{external_id}"} <= set(body["paths"])
    assert "WorkItemIn" in body["components"]["schemas"]
    post = body["paths"]["/api/v1/work-items"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["oneOf"][1][
        "maxItems"] == 1000
    assert client.get("/api/v1/docs").status_code == 200


# --- bad input: a clear 4xx, and the database unchanged ---------------------------------


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer cd_wrong"}, {"Authorization": "Token abc"},
], ids=["missing", "unknown", "wrong-scheme"])
def test_missing_or_wrong_token_is_401(client, tenant_a, headers):
    before = snapshot()
    response = client.post("/api/v1/work-items", data=json.dumps(ITEM),
                           content_type="application/json", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Send a valid API token as “Authorization: Bearer <token>”."
    }
    assert client.get("/api/v1/work-items/INC100", headers=headers).status_code == 401
    assert snapshot() == before


def test_revoked_token_is_401(client, tenant_a):
    raw = make_token(tenant=tenant_a)
    with scopes_disabled():
        revoke_api_token(token=ApiToken.objects.get())
    response = ApiClient(client=client, token=raw).post("work-items", ITEM)
    assert response.status_code == 401
    assert snapshot() == ([], 0)


def test_wrong_types_are_422_per_index_and_field(api_a):
    api_a.post("work-items", ITEM)
    before = snapshot()
    response = api_a.post("work-items", [
        {"external_id": "INC100", "priority": 1},
        {"external_id": 42, "kind": "incident"},
        {"external_id": "X", "kind": "incident", "priority": "urgent", "escalated": "maybe",
         "opened_at": "yesterday", "skills": "VPN", "colour": "red"},
        "not an object",
    ])
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "3 of the items are invalid; nothing was written."
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "external_id"), (2, "priority"), (2, "opened_at"), (2, "escalated"),
        (2, "skills"), (2, "colour"), (3, None),
    ]
    assert body["errors"][0]["message"] == "Input should be a valid string"
    assert body["errors"][1]["message"] == (
        "Input should be a valid integer, unable to parse string as an integer"
    )
    assert body["errors"][5]["message"] == (
        "Unknown field; send source-specific fields inside attributes."
    )
    assert body["errors"][6]["message"] == "Each work item is a JSON object."
    assert snapshot() == before


def test_unknown_kind_or_state_is_422(api_a):
    response = api_a.post("work-items", [{"external_id": "A", "kind": "fax"},
                                         {"external_id": "B", "kind": "call", "state": "done"}])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "kind"), (1, "state")]
    assert errors[0]["message"].startswith("Input should be 'incident', 'problem'")
    assert snapshot() == ([], 0)


def test_new_item_without_kind_is_422(api_a):
    response = api_a.post("work-items", {"external_id": "A"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 0, "field": "kind", "message": "A new work item needs a kind."}
    ]


def test_more_than_a_thousand_items_is_422(api_a):
    response = api_a.post("work-items", [{"external_id": f"E{i}", "kind": "email"}
                                         for i in range(1001)])
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The batch is invalid; nothing was written.",
        "errors": [{"index": None, "field": None,
                    "message": "A batch holds at most 1,000 items; this one has 1,001."}],
    }
    assert snapshot() == ([], 0)


def test_a_thousand_items_are_accepted(api_a):
    response = api_a.post("work-items", [{"external_id": f"E{i}", "kind": "email"}
                                         for i in range(1000)])
    assert response.json() == {"created": 1000, "updated": 0, "unchanged": 0}


@pytest.mark.parametrize("body", ['{"external_id": "A", ', "", "\xff\xfe", '"text"', "42"],
                         ids=["truncated", "empty", "not-utf8", "string", "number"])
def test_malformed_json_is_400(api_a, body):
    response = api_a.post("work-items", body=body.encode("latin-1"))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("The body is not valid JSON") or detail == (
        "Send one work item (a JSON object) or a list of them."
    )
    assert snapshot() == ([], 0)


def test_body_over_the_size_limit_is_413(api_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = api_a.post("work-items", {**ITEM, "description": "x" * 3000})
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is over the limit of 2,048 bytes; send smaller batches."
    }
    assert snapshot() == ([], 0)


def test_duplicate_external_id_in_one_batch_is_422(api_a):
    response = api_a.post("work-items", [ITEM, {**ITEM, "priority": 1}])
    assert response.status_code == 422
    assert response.json()["errors"] == [{
        "index": 1, "field": "external_id",
        "message": "“INC100” appears twice in this batch (first as item 0).",
    }]
    assert snapshot() == ([], 0)


def test_username_of_another_tenant_is_422(api_a, tenant_b):
    tenant_b.member(roles=["agent"], username="bob", email="bob@beta.example")
    response = api_a.post("work-items", [{**ITEM, "assigned_to": "bob"},
                                         {"external_id": "B", "kind": "call",
                                          "resolved_by": "bob@beta.example"}])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 0, "field": "assigned_to",
         "message": "No member of this organization has the username or e-mail “bob”."},
        {"index": 1, "field": "resolved_by",
         "message": "No member of this organization has the username or e-mail "
                    "“bob@beta.example”."},
    ]
    assert snapshot() == ([], 0)
