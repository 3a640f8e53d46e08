"""A routing world: the common cast with a team of five agents, two skills, an API."""

from dataclasses import dataclass

import pytest

from skills.models import Skill, SkillLevel
from skills.services import award_skill, ensure_level_scale, save_skill
from tenancy.models import User
from tests.factories import World, make_world
from tests.work.conftest import ApiClient, make_token
from work.services import process_work_events, upsert_work_items


@dataclass(kw_only=True)
class RoutingWorld(World):
    """The common cast of one tenant: ``coach`` manages ``team`` (the five ``agents``);
    ``coach2`` manages ``team2`` with nobody in it. Two skills on the default scale, an API."""

    agents: dict[str, User]
    levels: dict[str, SkillLevel]
    vpn: Skill
    printing: Skill
    api: ApiClient

    def give(self, *, username: str, skill: Skill, level: str):
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
    base = make_world(tenant=tenant_a, admin="admin", coach="coach", coach2="othercoach")
    agents = {name: tenant_a.member(roles=["agent"], username=name)
              for name in ("ann", "ben", "cid", "dan", "eve")}
    base.team = tenant_a.team(name="Desk", manager=base.coach, members=list(agents.values()))
    base.team2 = tenant_a.team(name="Network", manager=base.coach2)
    with tenant_a.scope():
        levels = {lv.name: lv for lv in ensure_level_scale(organization=tenant_a.org)}
        vpn = save_skill(organization=tenant_a.org, name="VPN")
        printing = save_skill(organization=tenant_a.org, name="Printing")
    api = ApiClient(client=client, token=make_token(tenant=tenant_a))
    return RoutingWorld(**base.as_kwargs(), agents=agents, levels=levels, vpn=vpn,
                        printing=printing, api=api)
