"""Schemathesis against the whole HTTP API, as part of the test suite (issue 12, item 6).

Every operation of ``/api/v1/openapi.json`` gets generated requests — the examples,
coverage and fuzzing phases, a fixed seed, a few cases each — sent through the WSGI
application with a valid token of a tenant that has data, and every built-in check runs
on every answer: no response 500, every status code documented, every body matching its
schema, schema-valid requests accepted and schema-violating ones refused, the token
required. A failure prints the case as a curl command.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from learning.enums import ContentSource
from learning.services import assign_course, save_course_item
from skills.enums import Source
from skills.services import award_skill, ensure_level_scale, save_skill
from tenancy.services import create_api_token
from work.services import upsert_work_items

SEED = 12_2025


def _also_accepts(name: str, *statuses: str) -> dict:
    """Answers to a schema-valid request that are right although not 2xx (see below)."""
    expected = ["2xx", "401", "403", "404", "409", "429", *statuses]
    return {"include-name": name,
            "checks": {"positive_data_acceptance": {"expected-statuses": expected}}}


CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"max-examples": 6, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "operations": [
        # A schema cannot say which cursors the API returned: any other is a 400.
        _also_accepts("GET /api/v1/work-items", "400"),
        _also_accepts("GET /api/v1/assessments", "400"),
        _also_accepts("GET /api/v1/survey-responses", "400"),
        _also_accepts("GET /api/v1/evaluations", "400"),
        _also_accepts("GET /api/v1/calibration-sessions", "400"),
        _also_accepts("GET /api/v1/access-records", "400"),
        # Nor that a new item needs a kind, or that a team or user must exist: 422 per item.
        _also_accepts("POST /api/v1/work-items", "422"),
        # Nor that the interaction, scorecard and attributes named must exist: 422 per part.
        _also_accepts("POST /api/v1/evaluations", "422"),
    ],
})


@pytest.fixture
def api_world(tenant_a):
    """A tenant with a team, skills, work items, a learning task, and an API token."""
    coach = tenant_a.member(roles=["coach"], username="cora")
    ann = tenant_a.member(roles=["agent"], username="ann", email="ann@example.com")
    ben = tenant_a.member(roles=["agent"], username="ben")
    tenant_a.team(name="Service desk", manager=coach, members=[ann, ben])
    with tenant_a.scope():
        org = tenant_a.org
        levels = ensure_level_scale(organization=org)
        vpn = save_skill(organization=org, name="VPN", category="Network")
        award_skill(user=ann, skill=vpn, level=levels[1], source=Source.MANUAL, actor=coach)
        upsert_work_items(organization=org, items=[
            {"external_id": "INC1", "kind": "incident", "short_description": "VPN down",
             "team": "Service desk", "assigned_to": "ann", "skills": ["VPN"],
             "opened_at": "2025-03-01T09:30:00+01:00"},
            {"external_id": "CALL1", "kind": "call", "state": "resolved",
             "resolved_by": "ben", "attributes": {"queue": "billing"}},
        ])
        course = save_course_item(organization=org, title="VPN basics",
                                  source=ContentSource.URL, url="https://example.com/vpn")
        assign_course(course_item=course, assignee=ann, assigned_by=coach, notify=False)
        _token, raw = create_api_token(organization=org, name="schemathesis")
    return raw


@pytest.fixture
def api_schema(api_world, settings):
    # The auth checks send bad tokens on purpose: keep their 429 (documented, and tested
    # in tenancy) from hiding the operations behind it.
    settings.API_TOKEN_FAILURE_LIMIT = 1_000_000
    # As Django's test client does: the WSGI handler would otherwise close the test's
    # connection (and its transaction) after every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_every_generated_request_as_documented(case, api_world):
    # call_and_validate raises on a 500, an undocumented status or a body off its schema.
    response = case.call_and_validate(headers={"Authorization": f"Bearer {api_world}"})
    assert response.status_code < 500
