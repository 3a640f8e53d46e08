"""GET /api/v1/agents/{username}/behaviours: per behaviour score, n, interval, failures,
frequency and impact; 401 without a token, 403 for a personal token of someone else, 404
for a username of another tenant, 422 for a bad period."""

import pytest
from django_scopes import scopes_disabled

from quality.stats import wilson_interval
from tenancy.services import create_api_token

from .assignment_fixtures import aw_fixture  # noqa: F401
from .test_behaviours_pages import bw_fixture  # noqa: F401


def _token(tenant, user, *, personal=False):
    with scopes_disabled():
        _row, raw = create_api_token(organization=tenant.org, name="t", created_by=user,
                                     user=user if personal else None)
    return {"Authorization": f"Bearer {raw}"}


def test_agent_behaviours_numbers(client, bw):
    response = client.get("/api/v1/agents/alice/behaviours",
                          headers=_token(bw.tenant, bw.admin))
    assert response.status_code == 200
    body = response.json()
    assert (body["agent"], body["scorecard"]) == ("alice", "customer-care")
    empathy = next(b for b in body["behaviours"] if b["attribute"] == "empathy")
    _, low, high = wilson_interval(1, 4)
    assert empathy["score"]["value"] == 25.0 and empathy["score"]["n"] == 4
    assert empathy["score"]["low"] == pytest.approx(100 * low)
    assert empathy["score"]["high"] == pytest.approx(100 * high)
    assert (empathy["failures"], empathy["frequency"]["value"], empathy["weight"]) == (
        3, 75.0, 20)
    assert empathy["impact"] == pytest.approx(7.5)  # the teams' 5 of 8 against alice's 1 of 4
    greeting = next(b for b in body["behaviours"] if b["attribute"] == "greeting")
    assert (greeting["score"]["value"], greeting["failures"], greeting["impact"]) == (
        100.0, 0, 0.0)


def test_agent_behaviours_errors(client, bw):
    url = "/api/v1/agents/{}/behaviours"
    assert client.get(url.format("alice")).status_code == 401
    own = _token(bw.tenant, bw.agent, personal=True)
    assert client.get(url.format("alice"), headers=own).status_code == 200
    assert client.get(url.format("bob"), headers=own).status_code == 403
    org = _token(bw.tenant, bw.admin)
    assert client.get(url.format("olga"), headers=org).status_code == 404
    assert client.get(url.format("alice") + "?days=0", headers=org).status_code == 422
    assert client.get(url.format("alice") + "?days=7", headers=org).status_code == 200
