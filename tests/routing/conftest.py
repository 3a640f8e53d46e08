"""A routing world: a coached team of agents, two skills on the default scale, an API."""

from dataclasses import dataclass

import pytest

from skills.models import Skill, SkillLevel
from skills.services import award_skill, ensure_level_scale, save_skill
from tests.work.conftest import ApiClient, make_token
from work.services import process_work_events, upsert_work_items


@dataclass
class RoutingWorld:
    tenant: object
    admin: object
    coach: object
    other_coach: object
    agents: dict
    team: object
    levels: dict[str, SkillLevel]
    vpn: Skill
    printing: Skill
    api: ApiClient

    def give(self, username: str, skill: Skill, level: str):
        with self.tenant.scope():
            award_skill(user=self.agents[username], skill=skill, level=self.levels[level],
                        source="manual", actor=self.coach)

    def push(self, *items, process: bool = True):
        with self.tenant.scope():
            summary = upsert_work_items(organization=self.tenant.org, items=list(items))
            if process:
                process_work_events(organization=self.tenant.org, event_ids=summary.event_ids)
        return summary

    def route(self, external_id: str, **body):
        return self.api.post(f"work-items/{external_id}/route", body or None)


@pytest.fixture
def rw(tenant_a, client):
    admin = tenant_a.member("org_admin", username="admin")
    coach = tenant_a.member("coach", username="coach")
    other_coach = tenant_a.member("coach", username="othercoach")
    agents = {name: tenant_a.member("agent", username=name)
              for name in ("ann", "ben", "cid", "dan", "eve")}
    team = tenant_a.team("Desk", manager=coach, members=list(agents.values()))
    tenant_a.team("Network", manager=other_coach, members=[])
    with tenant_a.scope():
        levels = {lv.name: lv for lv in ensure_level_scale(organization=tenant_a.org)}
        vpn = save_skill(organization=tenant_a.org, name="VPN")
        printing = save_skill(organization=tenant_a.org, name="Printing")
    api = ApiClient(client, make_token(tenant_a))
    return RoutingWorld(tenant_a, admin, coach, other_coach, agents, team, levels, vpn,
                        printing, api)
