"""``GET /api/v1/access-records``: organization tokens and org admins' personal tokens read
the tenant's log (newest first, filters, cursor); anyone else's personal token gets 403;
another tenant's records never show."""

import pytest
from django_scopes import scopes_disabled

from privacy.access import record_access
from tenancy.services.tokens import create_api_token
from tests.factories import Tenant, make_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/access-records"


@pytest.fixture
def world():
    w = make_world(tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada",
                   coach="carl", agent="alice", agent2="bob", outsider="olga",
                   team="Care", other_team="Elsewhere")
    with w.tenant.scope():
        record_access(w.coach, subject=w.agent, kind="evaluation", obj=7, label="Audit of C-7")
        record_access(w.coach, subject=w.agent2, kind="skills", obj=w.agent2, label="Skills")
        record_access(w.admin, subject=w.agent, kind="transcript", obj=3, label="Transcript")
    gina = w.other.member(username="gina")
    with w.other.scope():
        record_access(w.outsider, subject=gina, kind="skills", obj=gina, label="elsewhere")
    return w


def _token(world, user=None, tenant=None):
    tenant = tenant or world.tenant
    with scopes_disabled():
        _row, raw = create_api_token(organization=tenant.org, name="Audit export",
                                     created_by=world.admin if tenant is world.tenant else None,
                                     user=user)
    return {"Authorization": f"Bearer {raw}"}


def _labels(response):
    return [item["object_label"] for item in response.json()["items"]]


def test_organization_token_reads_the_log_newest_first(client, world):
    response = client.get(URL, headers=_token(world))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["viewer"], i["viewer_label"], i["subject"], i["kind"], i["channel"],
             i["object_id"], i["object_label"], i["path"]) for i in items] == [
        ("ada", str(world.admin), "alice", "transcript", "page", "3", "Transcript", ""),
        ("carl", str(world.coach), "bob", "skills", "page", str(world.agent2.pk), "Skills", ""),
        ("carl", str(world.coach), "alice", "evaluation", "page", "7", "Audit of C-7", ""),
    ]
    assert response.json()["next_cursor"] is None
    # Reading the log is not itself recorded.
    assert len(client.get(URL, headers=_token(world)).json()["items"]) == 3


def test_personal_tokens_only_of_org_admins(client, world):
    assert client.get(URL, headers=_token(world, world.admin)).status_code == 200
    for user in (world.coach, world.agent):
        refused = client.get(URL, headers=_token(world, user))
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Only an org admin's personal token reads the "
                                            "access log."}
    assert client.get(URL).status_code == 401


def test_other_tenants_records_never_show(client, world):
    assert _labels(client.get(URL, headers=_token(world, tenant=world.other))) == ["elsewhere"]


@pytest.mark.parametrize(("query", "expected"), [
    ({"subject": "alice"}, ["Transcript", "Audit of C-7"]),
    ({"viewer": "carl"}, ["Skills", "Audit of C-7"]),
    ({"kind": "skills"}, ["Skills"]),
    ({"since": "2000-01-01T00:00:00Z", "until": "2000-01-02T00:00:00Z"}, []),
])
def test_filters(client, world, query, expected):
    assert _labels(client.get(URL, query, headers=_token(world))) == expected


def test_cursor_pages_and_a_foreign_cursor_is_400(client, world):
    headers = _token(world)
    first = client.get(URL, {"limit": 2}, headers=headers).json()
    assert [i["object_label"] for i in first["items"]] == ["Transcript", "Skills"]
    rest = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
    assert _labels(rest) == ["Audit of C-7"] and rest.json()["next_cursor"] is None
    assert client.get(URL, {"cursor": "nope!"}, headers=headers).status_code == 400
