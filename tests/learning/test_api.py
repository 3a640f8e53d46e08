"""GET /api/v1/learning-tasks?assigned_to=…&state=… with a tenant's bearer token."""

import pytest

from learning.services import assign_course, start_task
from tenancy.services import create_api_token


@pytest.fixture
def api(world, client):
    with world.tenant.scope():
        _, key = create_api_token(organization=world.tenant.org, name="t", created_by=world.admin)
    with world.other.scope():
        _, other_key = create_api_token(organization=world.other.org, name="o")

    def get(query="", *, token=key):
        return client.get(f"/api/v1/learning-tasks{query}",
                          headers={"Authorization": f"Bearer {token}"})

    get.other_key = other_key
    return get


def make_tasks(world):
    with world.tenant.scope():
        a = assign_course(course_item=world.article, assignee=world.agent,
                          assigned_by=world.coach, catalog=world.catalog, notify=False)
        b = assign_course(course_item=world.external, assignee=world.agent, assigned_by=None,
                          notify=False)
        c = assign_course(course_item=world.external, assignee=world.agent2,
                          assigned_by=world.coach, notify=False)
        start_task(task=b, actor=world.agent)
    return a, b, c


def test_api_lists_tasks_with_filters(world, api):
    a, b, c = make_tasks(world)
    body = api().json()
    assert body["count"] == 3
    assert [t["id"] for t in body["items"]] == [a.pk, b.pk, c.pk]
    first = body["items"][0]
    assert {k: first[k] for k in ("assigned_to", "course_item", "catalog", "state",
                                  "assigned_by", "due_date")} == {
        "assigned_to": "abe", "course_item": "VPN troubleshooting",
        "catalog": "Service desk essentials", "state": "assigned", "assigned_by": "carl",
        "due_date": a.due_date.isoformat(),
    }
    assert "assessment_id" not in first  # coaching's link (GET /api/v1/assessments/{id})
    assert [t["id"] for t in api("?assigned_to=abe").json()["items"]] == [a.pk, b.pk]
    assert [t["id"] for t in api(f"?assigned_to={world.agent2.pk}").json()["items"]] == [c.pk]
    assert [t["id"] for t in api("?assigned_to=abe&state=in_progress").json()["items"]] == [
        b.pk]
    assert api("?state=completed").json() == {"items": [], "count": 0}
    assert [t["id"] for t in api("?assigned_to=amy@example.com").json()["items"]] == [c.pk]


def test_api_refuses_bad_filters(world, api):
    make_tasks(world)
    assert api("?state=done").status_code == 422
    response = api("?assigned_to=nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "No member of this organization is “nobody”."}
    # A member of another tenant is not found either.
    assert api("?assigned_to=bob").status_code == 404


def test_api_is_tenant_scoped_and_needs_a_token(world, api, client):
    make_tasks(world)
    assert api(token=api.other_key).json() == {"items": [], "count": 0}
    assert api("?assigned_to=abe", token=api.other_key).status_code == 404
    assert client.get("/api/v1/learning-tasks").status_code == 401
    assert api(token="cd_wrong").status_code == 401
