"""Ranking: match quality, then free capacity, then longest since the last assignment."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from routing.selectors import rank_candidates
from work.models import WorkItem

NEEDS_BOTH = {"external_id": "INC1", "kind": "incident", "team": "Desk",
              "skills": [{"name": "VPN", "minimum_level": 2}, "Printing"]}


def _setup_holdings(rw):
    # Minimums: VPN Intermediate (rank 2), Printing any level (rank 1).
    rw.give(username="ann", skill=rw.vpn, level="Expert")          # +2
    rw.give(username="ann", skill=rw.printing, level="Novice")     # +0  → score 2.0
    rw.give(username="ben", skill=rw.vpn, level="Intermediate")    # +0
    rw.give(username="ben", skill=rw.printing, level="Advanced")   # +2  → score 2.0
    rw.give(username="cid", skill=rw.vpn,
            level="Novice")          # 1 short, Printing missing (1) → -2.0
    rw.give(username="dan", skill=rw.vpn, level="Advanced")        # +1
    rw.give(username="dan", skill=rw.printing, level="Novice")     # → 1.0, never assigned
    rw.give(username="eve", skill=rw.vpn, level="Advanced")
    rw.give(username="eve", skill=rw.printing,
            level="Novice")     # → 1.0, assigned before (now resolved)


def test_ranking_orders_by_match_then_free_capacity_then_longest_since_assignment(rw):
    _setup_holdings(rw)
    rw.push({"external_id": "OLD", "kind": "incident", "team": "Desk", "assigned_to": "eve",
             "state": "resolved"},
            {"external_id": "ANN1", "kind": "incident", "team": "Desk", "assigned_to": "ann"},
            # Other kinds and done items do not use incident capacity.
            {"external_id": "ANN2", "kind": "request", "team": "Desk", "assigned_to": "ben"},
            NEEDS_BOTH)
    response = rw.route("INC1")
    assert response.status_code == 200
    body = response.json()
    assert [(c["agent"], c["score"], c["qualified"]) for c in body["candidates"]] == [
        ("ben", 2.0, True),   # ties with ann on match, more free capacity (5 vs 4)
        ("ann", 2.0, True),
        ("dan", 1.0, True),   # ties with eve; never assigned beats assigned before
        ("eve", 1.0, True),
        ("cid", -2.0, False),
    ]
    assert body["candidates"][1]["reasons"] == [
        "Printing at the minimum", "VPN 2 level(s) above the minimum",
        "1 of 5 open incident item(s)", body["candidates"][1]["reasons"][3],
    ]
    assert body["candidates"][1]["reasons"][3].startswith("last assigned ")
    assert body["candidates"][4]["reasons"] == [
        "Lacks Printing", "VPN 1 level(s) below the minimum", "0 of 5 open incident item(s)",
        "never assigned",
    ]
    # Ranking alone assigns nothing.
    with rw.tenant.scope():
        assert WorkItem.objects.get(external_id="INC1").assigned_to is None


def test_agent_at_capacity_is_not_qualified(rw):
    from routing.services import set_routing_settings

    rw.give(username="ann", skill=rw.vpn, level="Expert")
    with rw.tenant.scope():
        set_routing_settings(organization=rw.tenant.org, auto_assign=False,
                             when_nobody_qualifies="flag", pool="team", max_open=5,
                             max_open_by_kind={"incident": 1})
    rw.push({"external_id": "BUSY", "kind": "incident", "team": "Desk", "assigned_to": "ann"},
            {"external_id": "INC2", "kind": "incident", "team": "Desk", "skills": ["VPN"]})
    ranking = rw.route("INC2").json()["candidates"]
    assert [(c["agent"], c["score"], c["qualified"]) for c in ranking[:2]] == [
        ("ann", 3.0, False),  # full match but no free capacity: not qualified
        ("ben", -1.0, False),
    ]
    assert ranking[0]["reasons"][1] == "1 of 1 open incident item(s)"


def test_inactive_users_and_non_members_are_not_candidates(rw, tenant_a, unscoped):
    rw.agents["eve"].is_active = False
    rw.agents["eve"].save()
    rw.push(NEEDS_BOTH)
    agents = [c["agent"] for c in rw.route("INC1").json()["candidates"]]
    assert agents == ["ann", "ben", "cid", "dan"]


def test_ranking_runs_in_constant_queries_whatever_the_team_size(rw, tenant_a):
    _setup_holdings(rw)
    rw.push(NEEDS_BOTH, {"external_id": "X", "kind": "incident", "team": "Desk",
                         "assigned_to": "ann"})

    def count():
        with rw.tenant.scope():
            item = WorkItem.objects.get(external_id="INC1")
            with CaptureQueriesContext(connection) as ctx:
                ranking = rank_candidates(organization=rw.tenant.org, item=item)
        return len(ctx.captured_queries), len(ranking.candidates), ranking.considered

    small = count()
    more = [tenant_a.member(roles=["agent"], username=f"extra{i}") for i in range(20)]
    rw.agents.update({u.username: u for u in more})
    with rw.tenant.scope():
        from tenancy.models import TeamMember

        TeamMember.objects.bulk_create([TeamMember(organization=rw.tenant.org, team=rw.team,
                                                   user=u) for u in more])
    for user in more[:10]:
        rw.give(username=user.username, skill=rw.vpn, level="Expert")
    large = count()
    # One statement ranks the whole pool and returns the best ten with the requirements.
    assert small == (1, 5, 5)
    assert large == (1, 10, 25)
