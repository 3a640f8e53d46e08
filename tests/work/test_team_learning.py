"""Team membership learned from work, and one name for the team: a new tenant created with
create_org imports work whose agents belong to no team, and routing then ranks them;
``team`` and ``assignment_group`` are the same field in the CSV and the API."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from tenancy.models import Organization, TeamMember
from tenancy.selectors import learns_team_membership
from tenancy.services import create_api_token, update_organization
from tests.work.conftest import ApiClient
from work.models import WorkItem
from work.services import upsert_work_items

HEADER = "external_id,kind,state,number,team,assigned_to,short_description\n"
ROWS = [
    "INC1,incident,resolved,INC0001001,Service Desk,ann,VPN drops every hour",
    "INC2,incident,in_progress,INC0001002,Service Desk,ben,Printer offline",
    "INC3,incident,new,INC0001003,Network,,Switch port flapping",
]


def _members(org) -> set[tuple[str, str]]:
    with scopes_disabled():
        return set(TeamMember.objects.filter(organization=org)
                   .values_list("team__name", "user__username"))


def _token(org) -> str:
    with scopes_disabled():
        return create_api_token(organization=org, name="ITSM feed")[1]


@pytest.fixture
def newco(db):
    call_command("create_org", "newco", "--name", "NewCo", "--admin-email",
                 "boss@newco.example", stdout=StringIO())
    return Organization.objects.get(slug="newco")


def test_a_new_tenant_learns_teams_from_imported_work_and_routes_it(newco, client,
                                                                     tmp_path):
    assert learns_team_membership(newco) is True
    path = tmp_path / "work.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    call_command("import_work_items", "--org", "newco", str(path), "--create-missing",
                 stdout=StringIO())
    # nobody set a team up: the import made both agents members of their team
    assert _members(newco) == {("Service Desk", "ann"), ("Service Desk", "ben")}

    api = ApiClient(client=client, token=_token(newco))
    posted = api.post("work-items", {"external_id": "INC4", "kind": "incident",
                                     "state": "new", "team": "Service Desk",
                                     "short_description": "VPN again"})
    assert posted.status_code == 200, posted.content
    routed = api.post("work-items/INC4/route")
    assert routed.status_code == 200, routed.content
    assert sorted(c["agent"] for c in routed.json()["candidates"]) == ["ann", "ben"]

    # reassigning INC1 to ben in Network adds him there; nothing is ever removed
    again = api.post("work-items", {"external_id": "INC1", "team": "Network",
                                    "assigned_to": "ben"})
    assert again.status_code == 200, again.content
    assert _members(newco) == {("Service Desk", "ann"), ("Service Desk", "ben"),
                               ("Network", "ben")}


def test_the_setting_off_learns_nothing_and_is_changed_in_settings(newco):
    with scopes_disabled():
        update_organization(organization=newco, name="NewCo", timezone="UTC",
                            weekend_days=[5, 6], learn_team_membership=False)
        newco.refresh_from_db()
        assert learns_team_membership(newco) is False
        upsert_work_items(organization=newco, create_missing=True, items=[
            {"external_id": "A1", "kind": "incident", "team": "Desk", "assigned_to": "ann"}])
        assert WorkItem.objects.get(external_id="A1").team.name == "Desk"
    assert _members(newco) == set()


def test_organizations_from_before_the_setting_keep_it_off(tenant_a):
    assert learns_team_membership(tenant_a.org) is False


def test_assignment_group_is_another_name_for_team_in_the_api(newco, client):
    api = ApiClient(client=client, token=_token(newco))
    with scopes_disabled():  # the API refers to existing teams only
        upsert_work_items(organization=newco, create_missing=True, items=[
            {"external_id": "B0", "kind": "incident", "team": "Desk"}])
    response = api.post("work-items", {"external_id": "B1", "kind": "incident",
                                       "assignment_group": "Desk"})
    assert response.status_code == 200, response.content
    with scopes_disabled():
        assert WorkItem.objects.get(external_id="B1").team.name == "Desk"
    both = api.post("work-items", {"external_id": "B2", "kind": "incident",
                                   "assignment_group": "Desk", "team": "Other"})
    assert both.status_code == 422
    assert both.json()["errors"] == [{
        "index": 0, "field": "assignment_group",
        "message": "“assignment_group” and “team” name the same field with different "
                   "values; send one."}]
    with scopes_disabled():
        assert not WorkItem.objects.filter(external_id="B2").exists()


def test_the_csv_takes_team_or_assignment_group_but_not_both(newco, tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("external_id,kind,team,assignment_group\nC1,incident,Desk,Desk\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_work_items", "--org", "newco", str(path), "--create-missing",
                     stdout=StringIO(), stderr=err)
    assert "The columns team and assignment_group both name the team; keep one." in \
        err.getvalue()
    with scopes_disabled():
        assert not WorkItem.objects.filter(external_id="C1").exists()
