"""``WorkItem.credited_to`` — whom a work item counts for (its resolver, else its assignee),
computed by the database on every write — and the index that serves the recommender's
per-agent count of resolved work (issue 22)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills.models import Skill, WorkItemPrediction, WorkItemSkill
from skills.services import apply_recommendation_rule
from work.models import WorkItem
from work.services import upsert_work_items

INDEX = "workitem_org_credited"
EVIDENCE_INDEX = "skills_wis_evidence"


def credited(tenant, external_id="C1"):
    with tenant.scope():
        return WorkItem.objects.get(organization=tenant.org,
                                    external_id=external_id).credited_to


def test_credited_to_follows_assign_reassign_resolve_close_and_clear(tenant_a):
    ann, bob, cid = (tenant_a.member(username=name) for name in ("ann", "bob", "cid"))

    def write(**fields):
        with tenant_a.scope():
            upsert_work_items(organization=tenant_a.org,
                              items=[{"external_id": "C1", "kind": "incident", **fields}])
        return credited(tenant_a)

    assert write() is None
    assert write(assigned_to="ann") == ann.pk
    assert write(assigned_to="bob") == bob.pk  # reassigned
    assert write(state="resolved", resolved_by="cid") == cid.pk  # the resolver wins
    assert write(state="closed") == cid.pk
    assert write(assigned_to="ann") == cid.pk  # reassigning a resolved item: still cid's
    assert write(resolved_by=None) == ann.pk  # no resolver: the assignee
    assert write(assigned_to=None) is None


def test_credited_to_follows_bulk_updates_and_deleted_users(tenant_a):
    ann, bob = tenant_a.member(username="ann"), tenant_a.member(username="bob")
    with tenant_a.scope():
        upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": "C1", "kind": "case", "assigned_to": "ann", "resolved_by": "bob",
             "state": "resolved"},
            {"external_id": "C2", "kind": "case", "assigned_to": "ann"},
        ])
        WorkItem.objects.filter(external_id="C2").update(resolved_by=bob)
    assert (credited(tenant_a, "C1"), credited(tenant_a, "C2")) == (bob.pk, bob.pk)
    bob.delete()  # resolved_by is SET_NULL: the assignee gets the credit back
    assert (credited(tenant_a, "C1"), credited(tenant_a, "C2")) == (ann.pk, ann.pk)


def test_index_covers_organization_credited_to_and_state(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "work_workitem")
    assert constraints[INDEX]["columns"] == ["organization_id", "credited_to", "state"]
    assert constraints[INDEX]["index"] is True


def _history(tenant, agents, skill, count):
    """``count`` resolved items spread over the agents, each needing ``skill``."""
    with tenant.scope():
        items = WorkItem.objects.bulk_create([
            WorkItem(organization=tenant.org, kind="incident", external_id=f"H{i}",
                     state="resolved" if i % 2 else "closed",
                     assigned_to=agents[i % len(agents)],
                     resolved_by=agents[(i * 7) % len(agents)] if i % 10 < 7 else None)
            for i in range(count)
        ])
        WorkItemSkill.objects.bulk_create([
            WorkItemSkill(organization=tenant.org, work_item=item, skill=skill)
            for item in items
        ])


def test_recommender_evidence_query_is_served_by_the_index(tenant_a):
    agents = [tenant_a.member(username=f"agent{i}") for i in range(40)]
    with tenant_a.scope():
        skill = Skill.objects.create(organization=tenant_a.org, name="Firewalls")
    _history(tenant_a, agents, skill, 4000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE work_workitem, skills_workitemskill"
                       if connection.vendor == "postgresql" else "ANALYZE")
    with tenant_a.scope(), CaptureQueriesContext(connection) as captured:
        apply_recommendation_rule(organization=tenant_a.org, agent_ids={agents[3].pk},
                                  skill_ids={skill.pk}, threshold=1000)
    # On PostgreSQL the tagged rows carry the credited agent (copied by the database):
    # the evidence of a pair is a range of skills_wis_evidence. Elsewhere the item's.
    postgresql = connection.vendor == "postgresql"
    table, index = (("skills_workitemskill", EVIDENCE_INDEX) if postgresql
                    else ("work_workitem", INDEX))
    evidence = [q["sql"] for q in captured.captured_queries
                if '"credited_to" IN' in q["sql"]]
    # Tagged and predicted items (with the held skills and the thresholds): one UNION ALL.
    assert len(evidence) == 1
    assert evidence[0].count("UNION ALL") == 3
    # The organization is filtered too: the index's leading column.
    assert f'"{table}"."organization_id" = {tenant_a.org.pk}' in evidence[0]
    explain = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
    with tenant_a.scope(), connection.cursor() as cursor:
        cursor.execute(explain + evidence[0])
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert index in plan, plan


def test_required_and_predicted_skills_carry_the_items_credited_agent(tenant_a):
    """PostgreSQL copies an item's credited agent and resolved state onto its required and
    predicted skills on every write (the recommender's evidence index reads them)."""
    if connection.vendor != "postgresql":
        pytest.skip("the copies are kept by PostgreSQL triggers")
    ann, bob = tenant_a.member(username="ann"), tenant_a.member(username="bob")
    with tenant_a.scope():
        skill = Skill.objects.create(organization=tenant_a.org, name="VPN")

    def write(**fields):
        with tenant_a.scope():
            upsert_work_items(organization=tenant_a.org, items=[
                {"external_id": "C1", "kind": "incident", "skills": ["VPN"], **fields}])
            item = WorkItem.objects.get(external_id="C1")
            WorkItemPrediction.objects.get_or_create(
                organization=tenant_a.org, work_item=item, skill=skill,
                defaults={"score": 0.9})
            rows = {(credited, done) for credited, done in (
                list(WorkItemSkill.objects.filter(work_item=item)
                     .values_list("credited_to", "done"))
                + list(WorkItemPrediction.objects.filter(work_item=item)
                       .values_list("credited_to", "done")))}
        return rows

    assert write(assigned_to="ann") == {(ann.pk, False)}
    assert write(state="resolved", resolved_by="bob") == {(bob.pk, True)}
    assert write(state="closed") == {(bob.pk, True)}
    assert write(resolved_by=None) == {(ann.pk, True)}
    assert write(state="in_progress") == {(ann.pk, False)}  # reopened
    assert write(assigned_to=None) == {(None, False)}
    with tenant_a.scope():
        WorkItem.objects.filter(external_id="C1").update(state="resolved", assigned_to=bob)
        assert set(WorkItemSkill.objects.values_list("credited_to", "done")) == {(bob.pk, True)}


@pytest.mark.parametrize("resolved_by", [None, "ann"])
def test_evidence_counts_the_credited_agent_only(tenant_a, resolved_by):
    ann, bob = tenant_a.member(username="ann"), tenant_a.member(username="bob")
    with tenant_a.scope():
        skill = Skill.objects.create(organization=tenant_a.org, name="VPN")
        upsert_work_items(organization=tenant_a.org, items=[
            {"external_id": f"V{i}", "kind": "incident", "state": "resolved",
             "assigned_to": "bob" if resolved_by else "ann", "resolved_by": resolved_by,
             "skills": ["VPN"]} for i in range(3)
        ])
        report = apply_recommendation_rule(organization=tenant_a.org, threshold=3)
    assert [(r.user_id, r.skill_id, r.count) for r in report.created] == [(ann.pk, skill.pk, 3)]
    assert bob.pk not in {r.user_id for r in report.created}
