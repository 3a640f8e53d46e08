"""The ranking's one statement: PostgreSQL runs it as a function (its plans kept for the
session), elsewhere as a plain statement; both rank alike, and row-level security holds
inside the function."""

import random

import pytest
from django.db import connection

from routing.selectors import RANKING_FUNCTION, _rank, rank_candidates
from routing.services import install_ranking_function, set_routing_settings
from skills.services import award_skill
from tenancy import rls
from tenancy.models import TeamMember
from work.models import WorkItem

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="the function is PostgreSQL's")


def _ranked(ranking):
    return (ranking.considered, [
        (c.user.username, c.qualified, c.score, c.open_items, c.last_assigned_at, c.reasons)
        for c in ranking.candidates])


def _mixed_world(rw, tenant_a, *, pool="team"):
    rng = random.Random(23)
    more = [tenant_a.member(roles=["agent"], username=f"agent{i:02}") for i in range(14)]
    with rw.tenant.scope():
        TeamMember.objects.bulk_create([TeamMember(organization=rw.tenant.org, team=rw.team,
                                                   user=u) for u in more[:9]])
        set_routing_settings(organization=rw.tenant.org, auto_assign=False,
                             when_nobody_qualifies="best_partial", pool=pool, max_open=2)
        for user in [*rw.agents.values(), *more]:
            for skill in (rw.vpn, rw.printing):
                if rng.random() < 0.7:
                    award_skill(user=user, skill=skill,
                                level=rw.levels[rng.choice(list(rw.levels))],
                                source="manual", actor=rw.coach)
    names = [*rw.agents, *(u.username for u in more)]
    rw.push(*({"external_id": f"W{n}", "kind": rng.choice(["incident", "chat"]),
               "team": "Desk", "assigned_to": rng.choice(names),
               "state": rng.choice(["new", "in_progress", "resolved"])} for n in range(30)),
            {"external_id": "R1", "kind": "incident", "team": "Desk",
             "skills": [{"name": "VPN", "minimum_level": 3}, "Printing"]},
            {"external_id": "R2", "kind": "chat", "team": "Desk", "assigned_to": names[2],
             "skills": ["Printing"]},
            {"external_id": "R3", "kind": "incident", "team": "Desk"})


@postgresql_only
@pytest.mark.parametrize("pool", ["team", "all_agents"])
def test_function_ranks_as_the_plain_statement(rw, tenant_a, pool):
    _mixed_world(rw, tenant_a, pool=pool)
    for external_id in ("R1", "R2", "R3"):
        with rw.tenant.scope():
            item = WorkItem.objects.get(external_id=external_id)
            agent = rw.agents["cid"]
            in_function = _rank(rw.tenant.org, item, agent, in_function=True)
            plain = _rank(rw.tenant.org, item, agent, in_function=False)
        assert _ranked(in_function) == _ranked(plain)
        assert in_function.considered == (14 if pool == "team" else 19)
        assert "cid" in [c.user.username for c in in_function.candidates]


@postgresql_only
def test_function_answers_only_for_the_tenant_row_level_security_pins(rw, tenant_a, tenant_b):
    _mixed_world(rw, tenant_a)
    with rw.tenant.scope():
        item = WorkItem.objects.get(external_id="R1")
        everything = rank_candidates(organization=rw.tenant.org, item=item)
        with rls.tenant(tenant_a.org):
            as_tenant = rank_candidates(organization=rw.tenant.org, item=item)
        with rls.tenant(tenant_b.org):
            as_other_tenant = rank_candidates(organization=rw.tenant.org, item=item)
    assert _ranked(as_tenant) == _ranked(everything)
    assert everything.considered == 14 and len(everything.candidates) == 10
    # The function runs as its caller: another tenant's pin shows none of these rows.
    assert _ranked(as_other_tenant) == (0, [])


@postgresql_only
def test_install_ranking_function_replaces_only_another_version(db):
    assert install_ranking_function() is False  # migrate installed this version
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.oid::regprocedure::text FROM pg_proc p"
                       " WHERE p.proname = %s", [RANKING_FUNCTION])
        (signature,) = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"COMMENT ON FUNCTION {signature} IS 'an older version'")
    assert install_ranking_function() is True
    assert install_ranking_function() is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p"
                       " WHERE p.proname = %s", [RANKING_FUNCTION])
        assert [row[0][:10] for row in cursor.fetchall()] == ["coachdesk "]


def _user_row(user):
    return {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields}


def test_candidates_come_with_their_user_rows_and_reasons(rw):
    # Each candidate comes with their whole user row as the ORM loads it (dates as dates on
    # SQLite too, where a plain cursor returns text) and the ranking's reasons.
    from tests.routing.test_ranking import NEEDS_BOTH, _setup_holdings

    _setup_holdings(rw)
    with rw.tenant.scope():
        ann = rw.agents["ann"]
        ann.first_name, ann.last_name, ann.email = "Ann", "Lee", "ann@example.com"
        ann.save()
    rw.push({"external_id": "ANN1", "kind": "incident", "team": "Desk", "assigned_to": "ann"},
            NEEDS_BOTH)
    paths = [False, True] if connection.vendor == "postgresql" else [False]
    for in_function in paths:
        with rw.tenant.scope():
            item = WorkItem.objects.get(external_id="INC1")
            ranking = _rank(rw.tenant.org, item, None, in_function=in_function)
            expected = {u.username: _user_row(u) for u in type(ann).objects.filter(
                pk__in=[a.pk for a in rw.agents.values()])}
        assert [c.user.username for c in ranking.candidates] == [
            "ben", "ann", "dan", "eve", "cid"]
        assert {c.user.username: _user_row(c.user) for c in ranking.candidates} == expected
        assert all(c.user._state.adding is False for c in ranking.candidates)
        by_name = {c.user.username: c.reasons for c in ranking.candidates}
        assert by_name["ann"][:3] == ["Printing at the minimum",
                                      "VPN 2 level(s) above the minimum",
                                      "1 of 5 open incident item(s)"]
        assert by_name["ann"][3].startswith("last assigned ")
        assert by_name["cid"] == ["Lacks Printing", "VPN 1 level(s) below the minimum",
                                  "0 of 5 open incident item(s)", "never assigned"]
        assert by_name["ben"] == ["Printing 2 level(s) above the minimum",
                                  "VPN at the minimum", "0 of 5 open incident item(s)",
                                  "never assigned"]
