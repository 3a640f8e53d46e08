"""seed_demo's routing data: items requiring a skill go to the agents who hold it."""

from routing.demo import seed_routing
from routing.models import RoutingDecision
from tenancy.demo import DemoPeople
from work.models import WorkItem


def test_seed_routing_prefers_skilled_agents_and_is_idempotent(rw):
    rw.give(username="ann", skill=rw.vpn, level="Expert")
    rw.give(username="ben", skill=rw.vpn, level="Novice")
    rw.give(username="cid", skill=rw.printing, level="Advanced")
    people = DemoPeople(rw.admin, [rw.coach], None, None, None, list(rw.agents.values()),
                        [rw.team])
    with rw.tenant.scope():
        seed_routing(rw.tenant.org, people, None)
        seed_routing(rw.tenant.org, people, None)
        items = sorted(
            WorkItem.objects.filter(external_id__startswith="DEMO-ROUTE-")
            .values_list("short_description", "assigned_to__username"))
        assert items == [
            ("Needs Printing (level Advanced or higher)", "cid"),
            ("Needs VPN (level Expert or higher)", "ann"),
        ]
        assert sorted(RoutingDecision.objects.values_list("outcome", flat=True)) == [
            "assigned", "assigned"]
