"""GET /api/v1/coaching-assignments: filters, one assignment, the tenant boundary, and no
group fields anywhere."""

import pytest
from django_scopes import scopes_disabled

from coaching.services.assignments import create_assignment_from_evaluation, dispatch_group
from coaching.services.marks import (
    add_agents_to_group,
    create_group,
    mark_for_coaching,
)
from tenancy.services import create_api_token

from .assignment_fixtures import aw_fixture, follow_up  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(aw):
    e1, e2 = aw.audit(aw.agent), aw.audit(aw.agent2)
    with aw.tenant.scope():
        mark_for_coaching(evaluation=e1, area_keys=["empathy"], marked_by=aw.qa)
        group = create_group(organization=aw.tenant.org, name="Secret group", created_by=aw.qa)
        add_agents_to_group(group=group, agents=[aw.agent], actor=aw.qa)
        sent = dispatch_group(group_id=group.pk, actor=aw.qa, follow_up_date=follow_up(),
                              name="Empathy coaching")
        single = create_assignment_from_evaluation(
            evaluation=e2, assigner=aw.qa, name="Greeting basics", area_keys=["greeting"],
            follow_up_date=follow_up())
    return sent[0], single


def _token(tenant, user):
    with scopes_disabled():
        _row, raw = create_api_token(organization=tenant.org, name="t", created_by=user)
    return {"Authorization": f"Bearer {raw}"}


def test_list_filters_by_origin_status_and_area(client, aw, data):
    grouped, single = data
    headers = _token(aw.tenant, aw.admin)
    url = "/api/v1/coaching-assignments"
    assert [i["id"] for i in client.get(url, headers=headers).json()["items"]] == [
        single.pk, grouped.pk]
    assert [i["id"] for i in client.get(url + "?origin=group", headers=headers)
            .json()["items"]] == [grouped.pk]
    assert [i["id"] for i in client.get(url + "?area=greeting&area=nope", headers=headers)
            .json()["items"]] == [single.pk]
    assert client.get(url + "?status=completed", headers=headers).json()["items"] == []
    assert client.get(url + "?status=bogus", headers=headers).status_code == 422


def test_one_assignment_has_no_group_fields(client, aw, data):
    grouped, _single = data
    response = client.get(f"/api/v1/coaching-assignments/{grouped.pk}",
                          headers=_token(aw.tenant, aw.admin))
    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["agent"], body["status"], body["areas"]) == (
        "Empathy coaching", "alice", "not_started", ["empathy"])
    assert len(body["interactions"]) == 1
    assert "Secret group" not in response.content.decode()
    assert not any("group" in key for key in body)


def test_another_tenants_token_gets_404(client, aw, data):
    grouped, _single = data
    response = client.get(f"/api/v1/coaching-assignments/{grouped.pk}",
                          headers=_token(aw.other, aw.outsider))
    assert response.status_code == 404
    listing = client.get("/api/v1/coaching-assignments", headers=_token(aw.other, aw.outsider))
    assert listing.json()["items"] == []
