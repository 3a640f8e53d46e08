"""GET/POST /api/v1/coaching-plans: 401 without a token, an organization token lists and
creates (sent, e-mail with the direct link), a personal token lists its own sent plans
only and may not create (403), an agent the manager may not coach is a 404, bad targets
are 422 naming the field with nothing written, and another tenant sees nothing."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from coaching.models import CoachingPlan
from coaching.services.plans import create_plan, send_plan
from tenancy.services import create_api_token

from .assignment_fixtures import aw_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
URL = "/api/v1/coaching-plans"


def _token(tenant, user, *, personal=False):
    with scopes_disabled():
        _row, raw = create_api_token(organization=tenant.org, name="t", created_by=user,
                                     user=user if personal else None)
    return {"Authorization": f"Bearer {raw}"}


def _plan(aw, agent, *, send=True, manager=None):
    with aw.tenant.scope():
        plan = create_plan(organization=aw.tenant.org, manager=manager or aw.coach, agent=agent,
                           attribute_key="empathy", advice="Acknowledge first.",
                           target_percent=85,
                           target_date=timezone.localdate() + timedelta(days=14))
        return send_plan(plan=plan, actor=manager or aw.coach) if send else plan


def _body(**changes):
    return {"manager": "carl", "agent": "alice", "attribute": "empathy",
            "advice": "Say sorry first.", "target_percent": 85,
            "target_date": str(timezone.localdate() + timedelta(days=14)), **changes}


def test_list_needs_a_token(client):
    assert client.get(URL).status_code == 401


def test_organization_token_lists_every_live_plan_with_filters(client, aw):
    alice = _plan(aw, aw.agent)
    bob_draft = _plan(aw, aw.agent2, send=False)
    headers = _token(aw.tenant, aw.admin)
    items = client.get(URL, headers=headers).json()["items"]
    assert [(i["id"], i["agent"], i["status"], i["status_label"]) for i in items] == [
        (bob_draft.pk, "bob", "draft", "Draft"), (alice.pk, "alice", "shared", "Shared")]
    assert items[1] | {"created_at": None, "sent_at": None} == {
        "id": alice.pk, "agent": "alice", "manager": "carl", "attribute": "empathy",
        "attribute_name": "Empathy", "advice": "Acknowledge first.", "target_percent": 85,
        "start_date": str(timezone.localdate()),
        "target_date": str(timezone.localdate() + timedelta(days=14)), "status": "shared",
        "status_label": "Shared", "outcome_note": "", "outcome_score": None, "outcome_n": 0,
        "opened_at": None, "sent_at": None, "created_at": None, "examples": []}
    assert [i["id"] for i in client.get(URL + "?status=draft", headers=headers)
            .json()["items"]] == [bob_draft.pk]
    assert [i["id"] for i in client.get(URL + "?agent=alice", headers=headers)
            .json()["items"]] == [alice.pk]
    assert client.get(URL + "?status=bogus", headers=headers).status_code == 422


def test_personal_token_lists_only_its_own_sent_plans(client, aw):
    mine = _plan(aw, aw.agent)
    _plan(aw, aw.agent, send=False)  # a draft: not the agent's to see
    _plan(aw, aw.agent2)
    items = client.get(URL, headers=_token(aw.tenant, aw.agent, personal=True)).json()["items"]
    assert [i["id"] for i in items] == [mine.pk]


def test_personal_token_may_not_create(client, aw):
    response = client.post(URL, _body(), content_type="application/json",
                           headers=_token(aw.tenant, aw.coach, personal=True))
    assert response.status_code == 403
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0


def test_post_creates_and_sends_a_plan(client, aw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, _body(), content_type="application/json",
                               headers=_token(aw.tenant, aw.admin))
    body = response.json()
    assert response.status_code == 201
    assert (body["agent"], body["manager"], body["status"], body["advice"],
            body["target_percent"]) == ("alice", "carl", "shared", "Say sorry first.", 85)
    [message] = mail.outbox
    assert f"{settings.SITE_URL}/o/acme/coaching/plans/{body['id']}/" in message.body


def test_post_without_advice_uses_the_generated_one_and_can_stay_a_draft(client, aw):
    response = client.post(URL, _body(advice="", send=False), content_type="application/json",
                           headers=_token(aw.tenant, aw.admin))
    body = response.json()
    assert (response.status_code, body["status"]) == (201, "draft")
    assert body["advice"].startswith("Focus: Empathy\n")
    assert mail.outbox == []


@pytest.mark.parametrize("changes", [
    {"agent": "dora"},  # in cleo's team, not carl's
    {"agent": "olga"},  # another tenant's member
    {"agent": "nobody"},
    {"manager": "quinn"},  # a QA analyst coaches nobody
])
def test_post_for_an_agent_the_manager_may_not_coach_is_404(client, aw, changes):
    response = client.post(URL, _body(**changes), content_type="application/json",
                           headers=_token(aw.tenant, aw.admin))
    assert (response.status_code, response.json()) == (404, {
        "detail": "No such agent or manager in your organization, or the manager may not "
                  "coach them."})
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0


@pytest.mark.parametrize(("changes", "field", "detail"), [
    ({"target_percent": 101}, "target_percent",
     "The target goal is a whole percentage from 0 to 100."),
    ({"target_date": str(timezone.localdate() - timedelta(days=1))}, "target_date", None),
    ({"attribute": "nope"}, "attribute_key", "“nope” is not a behaviour of the scorecard."),
])
def test_post_bad_input_is_422_naming_the_field_and_writes_nothing(client, aw, changes, field,
                                                                   detail):
    response = client.post(URL, _body(**changes), content_type="application/json",
                           headers=_token(aw.tenant, aw.admin))
    body = response.json()
    assert response.status_code == 422
    assert [e["field"] for e in body["errors"]] == [field]
    if detail:
        assert body["detail"] == detail
    else:
        assert body["detail"].endswith("is in the past; choose today "
                                       f"({timezone.localdate():%d %b %Y}) or a later day.")
    with scopes_disabled():
        assert CoachingPlan.objects.count() == 0
    assert mail.outbox == []


def test_another_tenant_sees_nothing(client, aw):
    _plan(aw, aw.agent)
    assert client.get(URL, headers=_token(aw.other, aw.outsider)).json()["items"] == []
