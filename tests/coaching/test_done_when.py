"""The issue's "Done when", through public interfaces only: import_opportunities, the work
items API, a real Celery worker, and GET /api/v1/assessments."""

import json
import time

from django.core.management import call_command
from django_scopes import scopes_disabled

from tests.work.conftest import ApiClient, make_token
from tests.work.test_worker_integration import (  # noqa: F401  (fixtures)
    _wait_until_processed,
    pytestmark,
    queue,
    start_worker,
)
from work.models import WorkEvent

OPPORTUNITIES = [
    {"name": "Reassigned three times", "kinds": ["incident"], "fires_on": "update",
     "condition": {"field": "reassignment_count", "op": "gte", "value": 3}},
    {"name": "Escalated VIP", "fires_on": "any", "coach": "round_robin",
     "virtual_coach": {"name": "Auto coach"},
     "condition": {"all": [{"field": "escalated", "op": "eq", "value": True},
                           {"field": "attributes.vip", "op": "eq", "value": True}]}},
]


def test_imported_opportunity_opens_one_assessment_per_crossing_agent_and_event(
    client, tenant_a, start_worker, tmp_path  # noqa: F811
):
    coach = tenant_a.member(roles=["coach"], username="coach")
    agents = [tenant_a.member(roles=["agent"], username=f"agent{i}") for i in range(4)]
    tenant_a.team(name="Desk", manager=coach, members=agents)
    with scopes_disabled():
        from datetime import timedelta

        from django.utils import timezone

        from tenancy.models import Membership

        Membership.objects.update(joined_at=timezone.now() - timedelta(days=100))
    path = tmp_path / "opportunities.json"
    path.write_text(json.dumps(OPPORTUNITIES))
    call_command("import_opportunities", "--org", tenant_a.org.slug, str(path))

    api = ApiClient(client=client, token=make_token(tenant=tenant_a))
    start_worker()
    created = [{"external_id": f"INC{i}", "kind": "incident", "team": "Desk",
                "assigned_to": f"agent{i}", "reassignment_count": i} for i in range(4)]
    assert api.post("work-items", created).status_code == 200
    # agent2 goes from 2 to 3 (crosses), agent3 from 3 to 5 (crosses again: a new event),
    # agent0 and agent1 stay below the line.
    updates = [{"external_id": "INC0", "reassignment_count": 1},
               {"external_id": "INC1", "reassignment_count": 2},
               {"external_id": "INC2", "reassignment_count": 3},
               {"external_id": "INC3", "reassignment_count": 5}]
    assert api.post("work-items", updates).status_code == 200
    vip = {"external_id": "CS1", "kind": "case", "team": "Desk", "assigned_to": "agent0",
           "escalated": True, "attributes": {"vip": True}}
    assert api.post("work-items", vip).status_code == 200

    _wait_until_processed(9, tmp_path)
    with scopes_disabled():
        assert WorkEvent.objects.exclude(last_error="").count() == 0
    deadline = time.monotonic() + 10
    while True:
        body = api.get("assessments").json()
        if len(body["items"]) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    rows = sorted(
        (a["opportunity"], a["trainee"], a["work_item"], a["state"], a["coach"])
        for a in body["items"]
    )
    assert rows == [
        ("Escalated VIP", "agent0", "CS1", "closed_complete", "coach"),
        ("Reassigned three times", "agent2", "INC2", "open", "coach"),
        ("Reassigned three times", "agent3", "INC3", "open", "coach"),
    ]
    assert body["next_cursor"] is None
    opened = api.get("assessments", {"state": "open"}).json()["items"]
    assert sorted(a["trainee"] for a in opened) == ["agent2", "agent3"]
