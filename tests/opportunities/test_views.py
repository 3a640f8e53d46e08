"""Opportunity pages: permission matrix, the builder without JavaScript, bad conditions,
the preview count and the match log."""

import pytest

from opportunities.models import CoachingOpportunity


def form_data(**overrides):
    data = {
        "name": "Reassigned", "description": "", "active": "on", "fires_on": "update",
        "coach_choice": "team_manager", "due_in_days": "7", "suppress_days": "0",
        "sample_rate": "100", "exempt_first_days": "0", "coach_survey": "",
        "trainee_survey": "", "virtual_coach_name": "", "condition_mode": "rules",
        "match": "all", "rule_count": "1", "rule-0-field": "reassignment_count",
        "rule-0-op": "gte", "rule-0-value": "3", "skill_count": "0", "_action": "save",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("page", ["opportunities/", "opportunities/new/"])
def test_pages_are_for_org_admins(world, tenant_b, client, login, page):
    assert login(world.admin).get(world.tenant.url(page)).status_code == 200
    client.logout()
    assert login(world.coach).get(world.tenant.url(page)).status_code == 403
    client.logout()
    assert login(world.agent).get(world.tenant.url(page)).status_code == 403
    client.logout()
    stranger = tenant_b.member(roles=["org_admin"], username="stranger")
    assert login(stranger).get(world.tenant.url(page)).status_code == 404


def test_detail_of_another_tenant_is_404(world, tenant_b, login):
    opportunity = world.opportunity()
    admin_b = tenant_b.member(roles=["org_admin"], username="adminb")
    client = login(admin_b)
    assert client.get(f"/o/{tenant_b.org.slug}/opportunities/{opportunity.pk}/").status_code == 404
    assert client.post(f"/o/{tenant_b.org.slug}/opportunities/{opportunity.pk}/delete/"
                       ).status_code == 404


def test_builder_saves_rules_without_javascript(world, login):
    client = login(world.admin)
    url = world.tenant.url("opportunities/new/")
    # "Add a rule" re-renders the form with one more row.
    response = client.post(url, form_data(_action="add_rule"))
    assert response.status_code == 200
    assert 'name="rule-1-field"' in response.content.decode()
    response = client.post(url, form_data(**{
        "rule_count": "2", "match": "any", "rule-1-attribute": "vip", "rule-1-op": "eq",
        "rule-1-value": "true", "kinds": ["incident", "case"],
    }))
    assert response.status_code == 302
    with world.tenant.scope():
        saved = CoachingOpportunity.objects.get()
    assert saved.condition == {"any": [
        {"field": "reassignment_count", "op": "gte", "value": 3},
        {"field": "attributes.vip", "op": "eq", "value": True},
    ]}
    assert saved.kinds == ["case", "incident"]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"rule-0-op": "equals"}, "Rule 1: unknown operator &#x27;equals&#x27;."),
    ({"rule-0-field": "colour"}, "Rule 1: unknown field &#x27;colour&#x27;."),
    ({"rule-0-value": "many"},
     "Rule 1.value: &#x27;reassignment_count&#x27; needs a whole number, got text."),
    ({"condition_mode": "json", "condition_json": "{nope"}, "The condition is not valid JSON"),
    ({"condition_mode": "json", "condition_json":
      '{"all": [{"field": "priority", "op": "eq", "value": 1}, {"any": [{"field": "state", '
      '"op": "equals", "value": "new"}]}]}'},
     "all[1].any[0]: unknown operator &#x27;equals&#x27;."),
])
def test_invalid_conditions_are_refused_naming_the_part(world, login, overrides, message):
    response = login(world.admin).post(world.tenant.url("opportunities/new/"),
                                       form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    with world.tenant.scope():
        assert CoachingOpportunity.objects.count() == 0


def test_too_deep_and_too_large_conditions_are_refused(world, login):
    import json

    deep = {"field": "priority", "op": "eq", "value": 1}
    for _ in range(10):
        deep = {"not": deep}
    response = login(world.admin).post(world.tenant.url("opportunities/new/"), form_data(
        condition_mode="json", condition_json=json.dumps(deep)))
    assert "groups are nested deeper than 10 levels." in response.content.decode()
    large = {"any": [{"field": "priority", "op": "eq", "value": 1}] * 200}
    response = login(world.admin).post(world.tenant.url("opportunities/new/"), form_data(
        condition_mode="json", condition_json=json.dumps(large)))
    assert "the condition has more than 200 parts." in response.content.decode()


def test_preview_counts_recent_matching_items(world, login):
    world.push(*[{"external_id": f"INC{i}", "kind": "incident", "reassignment_count": i}
                 for i in range(6)])
    response = login(world.admin).post(world.tenant.url("opportunities/preview/"),
                                       form_data())
    assert "<strong>3</strong> work items updated in the last 30 days" in \
        response.content.decode()


def test_detail_shows_the_match_log(world, login):
    opportunity = world.opportunity()
    world.push({"external_id": "INC1", "kind": "incident", "team": "Service Desk",
                "assigned_to": "agent", "reassignment_count": 3})
    response = login(world.admin).get(world.tenant.url(f"opportunities/{opportunity.pk}/"))
    body = response.content.decode()
    assert "Match log" in body and "INC1" in body and "Assessment opened" in body
    assert "reassignment count is at least 3" in body.lower()


def test_list_query_count_is_constant(world, login, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.admin)
    world.opportunity(name="One")
    client.get(world.tenant.url("opportunities/"))
    with CaptureQueriesContext(connection) as ctx:
        client.get(world.tenant.url("opportunities/"))
    for i in range(5):
        world.opportunity(name=f"More {i}", virtual_coach_name="V")
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get(world.tenant.url("opportunities/")).status_code == 200
