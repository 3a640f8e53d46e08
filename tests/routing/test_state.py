"""Per-agent routing state: it follows every write of work (service, API, CSV import,
routing itself), commits and rolls back with it, and ranks exactly as the history does."""

import io
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from routing.models import AgentOpenItems, AgentRoutingState
from routing.selectors import _rank_key, rank_candidates
from routing.services import (
    rebuild_routing_state,
    routing_state_from_history,
    set_routing_settings,
)
from skills.models import UserSkill
from skills.models import WorkItemSkill as RequiredSkill
from tenancy.models import Membership, TeamMember, User
from work.enums import OPEN_STATES
from work.models import WorkEvent, WorkItem
from work.services import upsert_work_items
from work.services.imports import import_work_items_csv

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def state(rw) -> tuple[dict, dict]:
    """({(agent, kind): open items} without zeros, {agent: last assigned at})."""
    with rw.tenant.scope():
        names = dict(User.objects.values_list("pk", "username"))
        open_items = {(names[r.user_id], r.kind): r.open_items
                      for r in AgentOpenItems.objects.all() if r.open_items}
        last = {names[r.user_id]: r.last_assigned_at for r in AgentRoutingState.objects.all()}
    return open_items, last


def history(rw) -> tuple[dict, dict]:
    """The same, computed from the work items and events."""
    with rw.tenant.scope():
        names = dict(User.objects.values_list("pk", "username"))
        open_items, last = routing_state_from_history(rw.tenant.org)
    return ({(names[u], kind): n for (u, kind), n in open_items.items()},
            {names[u]: when for u, when in last.items()})


def upsert(rw, when: datetime, *items):
    with rw.tenant.scope():
        upsert_work_items(organization=rw.tenant.org, items=list(items), occurred_at=when)


def test_state_follows_assignment_reassignment_kind_resolution_reopening_and_closure(rw):
    upsert(rw, at(0),
           {"external_id": "A", "kind": "incident", "team": "Desk", "assigned_to": "ann"},
           {"external_id": "B", "kind": "incident", "assigned_to": "ann", "state": "in_progress"},
           {"external_id": "C", "kind": "request"})
    assert state(rw) == ({("ann", "incident"): 2}, {"ann": at(0)})
    upsert(rw, at(1), {"external_id": "A", "assigned_to": "ben"})  # reassignment
    assert state(rw) == ({("ann", "incident"): 1, ("ben", "incident"): 1},
                         {"ann": at(0), "ben": at(1)})
    upsert(rw, at(2), {"external_id": "A", "kind": "request"})  # another kind's capacity
    assert state(rw) == ({("ann", "incident"): 1, ("ben", "request"): 1},
                         {"ann": at(0), "ben": at(1)})
    upsert(rw, at(3), {"external_id": "B", "state": "resolved", "resolved_by": "ann"})
    assert state(rw) == ({("ben", "request"): 1}, {"ann": at(0), "ben": at(1)})
    upsert(rw, at(4), {"external_id": "B", "state": "in_progress"})  # reopened
    assert state(rw) == ({("ann", "incident"): 1, ("ben", "request"): 1},
                         {"ann": at(0), "ben": at(1)})
    upsert(rw, at(5), {"external_id": "A", "state": "closed"})
    assert state(rw) == ({("ann", "incident"): 1}, {"ann": at(0), "ben": at(1)})
    upsert(rw, at(6), {"external_id": "B", "assigned_to": None})  # unassigned
    assert state(rw) == ({}, {"ann": at(0), "ben": at(1)})
    # A late event (dated before the latest assignment) does not move it back.
    upsert(rw, at(-24), {"external_id": "C", "assigned_to": "ben"})
    assert state(rw) == ({("ben", "request"): 1}, {"ann": at(0), "ben": at(1)})
    # Assigning done work is an assignment, but not open work.
    upsert(rw, at(7), {"external_id": "A", "assigned_to": "cid"})
    assert state(rw) == ({("ben", "request"): 1}, {"ann": at(0), "ben": at(1), "cid": at(7)})
    # Reassigning and closing in one change; a change that touches no routing field.
    upsert(rw, at(8), {"external_id": "C", "assigned_to": "dan", "state": "closed"},
           {"external_id": "B", "priority": 2})
    assert state(rw) == ({}, {"ann": at(0), "ben": at(1), "cid": at(7), "dan": at(8)})
    assert state(rw) == history(rw)


def test_state_rolls_back_with_the_write(rw):
    upsert(rw, at(0), {"external_id": "A", "kind": "incident", "assigned_to": "ann"})
    with pytest.raises(RuntimeError), rw.tenant.scope(), transaction.atomic():
        upsert_work_items(organization=rw.tenant.org, occurred_at=at(1), items=[
            {"external_id": "A", "assigned_to": "ben"},
            {"external_id": "N", "kind": "chat", "assigned_to": "ben"}])
        raise RuntimeError("the enclosing transaction fails")
    assert state(rw) == ({("ann", "incident"): 1}, {"ann": at(0)})


def test_state_follows_the_api(rw):
    response = rw.api.post("work-items", [
        {"external_id": "A", "kind": "incident", "assigned_to": "ann",
         "occurred_at": "2026-11-02T09:00:00Z"},
        {"external_id": "B", "kind": "chat", "assigned_to": "ann",
         "occurred_at": "2026-11-02T10:00:00Z"},
    ])
    assert response.status_code == 200
    assert state(rw) == ({("ann", "incident"): 1, ("ann", "chat"): 1}, {"ann": at(1)})
    response = rw.api.post("work-items", {"external_id": "B", "assigned_to": "eve",
                                          "state": "resolved", "resolved_by": "eve",
                                          "occurred_at": "2026-11-02T11:00:00Z"})
    assert response.status_code == 200
    assert state(rw) == ({("ann", "incident"): 1}, {"ann": at(1), "eve": at(2)})
    assert state(rw) == history(rw)


def test_state_follows_the_csv_import(rw):
    def run(text: str):
        with rw.tenant.scope():
            import_work_items_csv(organization=rw.tenant.org, stream=io.BytesIO(text.encode()))

    run("external_id,kind,assigned_to,state\n"
        "A,incident,ann,in_progress\n"
        "B,incident,ben,new\n"
        "C,case,ben,on_hold\n")
    open_items, last = state(rw)
    assert open_items == {("ann", "incident"): 1, ("ben", "incident"): 1, ("ben", "case"): 1}
    assert (open_items, last) == history(rw) and sorted(last) == ["ann", "ben"]
    first_import = last["ben"]
    run("external_id,assigned_to,state\n"
        "A,ben,in_progress\n"
        "C,ben,closed\n")
    open_items, last = state(rw)
    assert open_items == {("ben", "incident"): 2}
    assert last["ann"] == first_import < last["ben"]  # one import, one time; a later one
    assert (open_items, last) == history(rw)


def test_refused_import_leaves_the_state_as_it_was(rw):
    upsert(rw, at(0), {"external_id": "A", "kind": "incident", "assigned_to": "ann"})
    with rw.tenant.scope(), pytest.raises(Exception):  # noqa: B017 (the import's refusal)
        import_work_items_csv(organization=rw.tenant.org, stream=io.BytesIO(
            b"external_id,kind,assigned_to\nA,incident,ben\nB,incident,nobody\n"))
    assert state(rw) == ({("ann", "incident"): 1}, {"ann": at(0)})


def test_routing_an_item_moves_the_chosen_agents_state(rw):
    rw.give(username="dan", skill=rw.vpn, level="Expert")
    rw.push({"external_id": "INC1", "kind": "incident", "team": "Desk", "skills": ["VPN"]})
    assert state(rw) == ({}, {})
    response = rw.route("INC1", assign=True)
    assert response.json()["assigned_to"] == "dan"
    with rw.tenant.scope():
        assigned_at = WorkEvent.objects.filter(work_item__external_id="INC1").latest(
            "id").occurred_at
    assert state(rw) == ({("dan", "incident"): 1}, {"dan": assigned_at})
    # The item is dan's own work now: ranking it again does not count it against him.
    ranking = rw.route("INC1").json()["candidates"]
    assert ranking[0]["agent"] == "dan"
    assert ranking[0]["reasons"][1] == "0 of 5 open incident item(s)"


def test_rebuild_gives_the_state_ingest_kept(rw):
    upsert(rw, at(0), {"external_id": "A", "kind": "incident", "assigned_to": "ann"},
           {"external_id": "B", "kind": "chat", "assigned_to": "ben"})
    upsert(rw, at(1), {"external_id": "A", "assigned_to": "cid"},
           {"external_id": "B", "state": "closed"})
    kept = state(rw)
    with rw.tenant.scope():
        rebuild_routing_state(organization=rw.tenant.org)
    assert state(rw) == kept == ({("cid", "incident"): 1}, {"ann": at(0), "ben": at(0),
                                                            "cid": at(1)})


# --- the decision with state equals the decision from history -------------------------------


def ranking_from_history(rw, item: WorkItem) -> list[tuple]:
    """How routing ranked before it kept state: open items counted from the work items,
    the last assignment from every event of the tenant, the whole pool sorted in Python."""
    with rw.tenant.scope():
        org = rw.tenant.org
        pool = User.objects.filter(
            pk__in=Membership.objects.filter(organization=org, is_agent=True).values("user_id"),
            is_active=True,
        ).filter(pk__in=TeamMember.objects.filter(team_id=item.team_id).values("user_id"))
        requirements = list(RequiredSkill.objects.filter(work_item=item)
                            .select_related("skill", "minimum_level").order_by("skill__name"))
        held = {(u, s): rank for u, s, rank in UserSkill.objects.values_list(
            "user_id", "skill_id", "level__rank")}
        open_items: dict[int, int] = {}
        for agent_id in (WorkItem.objects.filter(kind=item.kind, state__in=OPEN_STATES)
                         .exclude(pk=item.pk).values_list("assigned_to_id", flat=True)):
            open_items[agent_id] = open_items.get(agent_id, 0) + 1
        last: dict[str, datetime] = {}
        for changes, when in WorkEvent.objects.values_list("changes", "occurred_at"):
            name = (changes.get("assigned_to") or [None, None])[1]
            if name and (name not in last or when > last[name]):
                last[name] = when
        capacity = 2 if item.kind == "incident" else 5
        rows = []
        for user in pool:
            shortfall = surplus = 0
            for requirement in requirements:
                minimum = requirement.minimum_level.rank if requirement.minimum_level else 1
                rank = held.get((user.pk, requirement.skill_id))
                if rank is None or rank < minimum:
                    shortfall += minimum - (rank or 0)
                else:
                    surplus += rank - minimum
            n = open_items.get(user.pk, 0)
            rows.append((not (shortfall == 0 and n < capacity), shortfall, -surplus,
                         -(capacity - n), user.username in last,
                         last.get(user.username, datetime.min.replace(tzinfo=UTC)),
                         user.username, n))
    rows.sort(key=lambda row: row[:7])
    return [(row[6], not row[0], -row[2] if row[1] == 0 else -row[1], row[7]) for row in rows]


def test_ranking_with_state_equals_ranking_from_history_on_a_mixed_history(rw, tenant_a):
    rng = random.Random(22)
    more = [tenant_a.member(roles=["agent"], username=f"agent{i}") for i in range(7)]
    with rw.tenant.scope():
        TeamMember.objects.bulk_create([TeamMember(organization=rw.tenant.org, team=rw.team,
                                                   user=u) for u in more])
        set_routing_settings(organization=rw.tenant.org, auto_assign=False,
                             when_nobody_qualifies="best_partial", pool="team", max_open=5,
                             max_open_by_kind={"incident": 2})
    names = [*rw.agents, *(u.username for u in more)]
    for name in names:
        for skill in (rw.vpn, rw.printing):
            if rng.random() < 0.6:
                with rw.tenant.scope():
                    from skills.services import award_skill

                    award_skill(user=User.objects.get(username=name), skill=skill,
                                level=rw.levels[rng.choice(list(rw.levels))], source="manual",
                                actor=rw.coach)
    kinds, states = ["incident", "request", "chat"], ["new", "in_progress", "on_hold",
                                                      "resolved", "closed"]
    created: set[str] = set()
    for step in range(60):  # creations, reassignments, kind and state changes, late events
        external_id = f"W{rng.randrange(25)}"
        change = {"external_id": external_id, "team": "Desk"}
        if external_id not in created:
            change["kind"] = rng.choice(kinds)
            created.add(external_id)
        if rng.random() < 0.7:
            change["assigned_to"] = rng.choice([*names, None])
        if rng.random() < 0.5:
            change["state"] = rng.choice(states)
        if rng.random() < 0.2:
            change["kind"] = rng.choice(kinds)
        upsert(rw, at(step if rng.random() < 0.9 else -step), change)
    assert state(rw) == history(rw)

    rw.push({"external_id": "R1", "kind": "incident", "team": "Desk",
             "skills": [{"name": "VPN", "minimum_level": 2}, "Printing"]},
            {"external_id": "R2", "kind": "chat", "team": "Desk", "skills": ["Printing"]},
            {"external_id": "R3", "kind": "incident", "team": "Desk", "assigned_to": names[3]})
    for external_id in ("R1", "R2", "R3"):
        with rw.tenant.scope():
            item = WorkItem.objects.get(external_id=external_id)
            ranking = rank_candidates(organization=rw.tenant.org, item=item)
        expected = ranking_from_history(rw, item)
        assert ranking.considered == len(expected) == 12
        assert [(c.user.username, c.qualified, c.score, c.open_items)
                for c in ranking.candidates] == expected[:10]
        assert sorted(ranking.candidates, key=_rank_key) == ranking.candidates


def test_best_partial_match_with_room_is_found_below_the_shown_candidates(rw, tenant_a):
    """Nobody qualifies and the ten best partial matches are full: routing still finds
    the best one with room, ranked eleventh."""
    more = [tenant_a.member(roles=["agent"], username=f"busy{i:02}") for i in range(10)]
    with rw.tenant.scope():
        TeamMember.objects.bulk_create([TeamMember(organization=rw.tenant.org, team=rw.team,
                                                   user=u) for u in more])
        set_routing_settings(organization=rw.tenant.org, auto_assign=False,
                             when_nobody_qualifies="best_partial", pool="team", max_open=1)
    rw.agents.update({u.username: u for u in more})
    for user in more:
        rw.give(username=user.username, skill=rw.vpn, level="Novice")
    rw.push(*({"external_id": f"B{i}", "kind": "incident", "assigned_to": u.username}
              for i, u in enumerate(more)),
            {"external_id": "NEED", "kind": "incident", "team": "Desk",
             "skills": [{"name": "VPN", "minimum_level": 3}]})
    body = rw.route("NEED", assign=True).json()
    assert [c["agent"] for c in body["candidates"]] == [
        *(f"busy{i:02}" for i in range(10)), "ann"]
    assert (body["outcome"], body["assigned_to"]) == ("partial", "ann")


# --- the work-item page ----------------------------------------------------------------------


def test_suggested_agents_panel_runs_constant_queries_as_history_grows(
    rw, login, django_assert_num_queries
):
    rw.give(username="ben", skill=rw.vpn, level="Advanced")
    rw.push({"external_id": "INC1", "kind": "incident", "team": "Desk", "skills": ["VPN"]},
            {"external_id": "OLD0", "kind": "incident", "team": "Desk", "assigned_to": "ann"})
    with rw.tenant.scope():
        item = WorkItem.objects.get(external_id="INC1")
    client = login(rw.coach)
    url = rw.tenant.url(f"work/{item.pk}/")
    client.get(url)  # the first request after login also touches the session
    with CaptureQueriesContext(connection) as first:
        assert "Suggested agents" in client.get(url).content.decode()
    # Grow the history: a hundred more items, assigned, reassigned and closed.
    agents = list(rw.agents)
    for n in range(1, 101):
        upsert(rw, at(n), {"external_id": f"OLD{n}", "kind": "incident", "team": "Desk",
                           "assigned_to": agents[n % 5]})
    upsert(rw, at(200), *({"external_id": f"OLD{n}", "assigned_to": agents[(n + 1) % 5],
                           "state": "closed"} for n in range(1, 101)))
    with django_assert_num_queries(len(first.captured_queries)) as grown:
        page = client.get(url).content.decode()
    assert "Suggested agents" in page and "VPN 2 level(s) above the minimum" in page
    # The panel never reads work history.
    assert not [q for q in grown.captured_queries if "work_workevent" in q["sql"]
                and "assigned_to" in q["sql"]]


def test_rebuild_command_recomputes_the_state(rw):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    upsert(rw, at(0), {"external_id": "A", "kind": "incident", "assigned_to": "ann"},
           {"external_id": "B", "kind": "chat", "assigned_to": "ann", "state": "closed"})
    kept = state(rw)
    with rw.tenant.scope():
        AgentOpenItems.objects.all().delete()
        AgentRoutingState.objects.all().delete()
    out = StringIO()
    call_command("rebuild_routing_state", "--org", rw.tenant.org.slug, stdout=out)
    assert state(rw) == kept == ({("ann", "incident"): 1}, {"ann": at(0)})
    assert out.getvalue() == (f"Routing state of {rw.tenant.org.name} rebuilt: 1 agent(s) "
                              "with a last assignment, 1 agent and kind pair(s) with open "
                              "items.\n")
    with pytest.raises(CommandError, match="No organization with slug “nope”."):
        call_command("rebuild_routing_state", "--org", "nope")
