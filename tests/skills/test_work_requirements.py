"""Work ingest links required skills to the catalogue in the same transaction."""

import pytest
from django_scopes import scopes_disabled

from skills.models import Skill, WorkItemSkill
from skills.services import ensure_level_scale, save_skill
from work import services as work_services
from work.models import WorkItem


def upsert(tenant, *items, **kwargs):
    with tenant.scope():
        return work_services.upsert_work_items(organization=tenant.org, items=list(items),
                                               **kwargs)


def requirements(tenant, external_id):
    with tenant.scope():
        item = WorkItem.objects.get(external_id=external_id)
        return sorted(
            (row.skill.name, row.minimum_level.name if row.minimum_level else None)
            for row in WorkItemSkill.objects.filter(work_item=item).select_related(
                "skill", "minimum_level")
        )


def test_ingest_links_required_skills_with_levels_by_rank(tenant_a):
    with tenant_a.scope():
        ensure_level_scale(organization=tenant_a.org)
        save_skill(organization=tenant_a.org, name="VPN")
        save_skill(organization=tenant_a.org, name="Firewall")

    upsert(tenant_a, {"external_id": "INC1", "kind": "incident",
                      "skills": ["vpn", {"name": "Firewall", "minimum_level": 3}]})
    assert requirements(tenant_a, "INC1") == [("Firewall", "Advanced"), ("VPN", None)]

    upsert(tenant_a, {"external_id": "INC1", "skills": [{"name": "VPN", "minimum_level": 9}]})
    assert requirements(tenant_a, "INC1") == [("VPN", "Expert")]

    upsert(tenant_a, {"external_id": "INC1", "number": "INC0001"})  # skills absent: kept
    assert requirements(tenant_a, "INC1") == [("VPN", "Expert")]


def test_ingest_refuses_an_unknown_skill_and_writes_nothing(tenant_a):
    with tenant_a.scope():
        save_skill(organization=tenant_a.org, name="VPN")

    with pytest.raises(work_services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, {"external_id": "INC1", "kind": "incident", "skills": ["VPN", "DNS"]})

    assert [e.as_dict() for e in excinfo.value.errors] == [
        {"index": 0, "field": "skills", "message": "Unknown skill: DNS."}
    ]
    with scopes_disabled():
        assert WorkItem.objects.count() == 0
        assert WorkItemSkill.objects.count() == 0


def test_ingest_with_create_missing_adds_the_skill_to_the_catalogue(tenant_a, tenant_b):
    with tenant_b.scope():
        save_skill(organization=tenant_b.org, name="DNS")  # another tenant's skill: no help

    upsert(tenant_a, {"external_id": "INC1", "kind": "incident", "skills": ["DNS"]},
           create_missing=True)

    assert requirements(tenant_a, "INC1") == [("DNS", None)]
    with scopes_disabled():
        assert sorted(WorkItemSkill.objects.values_list("skill__organization__slug", flat=True)) \
            == ["alpha"]


def test_ingest_replaces_requirements_and_a_refused_batch_keeps_them(tenant_a):
    with tenant_a.scope():
        ensure_level_scale(organization=tenant_a.org)
        save_skill(organization=tenant_a.org, name="Firewall")
        save_skill(organization=tenant_a.org, name="Router")
    upsert(tenant_a, {"external_id": "INC9", "kind": "incident",
                      "skills": ["Firewall", {"name": "Router", "minimum_level": 4}]})
    assert requirements(tenant_a, "INC9") == [("Firewall", None), ("Router", "Expert")]

    upsert(tenant_a, {"external_id": "INC9",
                      "skills": ["Router", {"name": "IPv6", "minimum_level": 1}]},
           create_missing=True)
    assert requirements(tenant_a, "INC9") == [("IPv6", "Novice"), ("Router", None)]

    with pytest.raises(work_services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, {"external_id": "INC9", "skills": ["BGP"]})
    assert [e.as_dict() for e in excinfo.value.errors] == [
        {"index": 0, "field": "skills", "message": "Unknown skill: BGP."}
    ]
    with pytest.raises(work_services.WorkItemsInvalid) as excinfo:
        upsert(tenant_a, {"external_id": "INC9",
                          "skills": [{"name": "Router", "minimum_level": "Guru"}]})
    assert [e.as_dict() for e in excinfo.value.errors] == [
        {"index": 0, "field": "skills", "message": "Expected a whole number."}
    ]
    assert requirements(tenant_a, "INC9") == [("IPv6", "Novice"), ("Router", None)]
    with tenant_a.scope():
        assert Skill.objects.filter(name="BGP").exists() is False
