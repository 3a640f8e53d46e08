"""manage.py import_work_items: columns, all-or-nothing, error listing, dry run, create missing."""

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from tenancy.models import Membership, Team
from work import extensions
from work.models import RequestedSkill, WorkEvent, WorkItem

HEADER = ("external_id,kind,number,short_description,state,priority,assignment_group,"
          "assigned_to,opened_at,escalated,skills,region\n")


@pytest.fixture(autouse=True)
def free_skill_names():
    with extensions.skill_catalog.replaced():
        yield


def write(tmp_path, text: str | bytes, name="items.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


def run(tenant, path, *flags):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_work_items", "--org", tenant.org.slug, path, *flags,
                 stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fail(tenant, path, *flags):
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("import_work_items", "--org", tenant.org.slug, path, *flags,
                     stdout=StringIO(), stderr=err)
    return str(excinfo.value), err.getvalue().splitlines()


def state():
    with scopes_disabled():
        return (sorted(WorkItem.objects.values_list("external_id", "priority")),
                WorkEvent.objects.count())


def test_import_creates_and_updates_with_summary(tenant_a, tmp_path):
    agent = tenant_a.member(roles=["agent"], username="ana")
    tenant_a.team(name="Service Desk", members=[agent])
    path = write(tmp_path, HEADER
                 + "INC1,incident,INC0001,VPN down,in_progress,2,Service Desk,ana,"
                   "2025-03-01T09:30:00Z,yes,VPN;DNS,EU\n"
                 + 'INC2,incident,INC0002,"Printer, 3rd floor",new,4,,,2025-03-02,no,,\n')
    out, _err = run(tenant_a, path)
    assert "Created 2, updated 0, unchanged 0 of 2 rows in " in out
    with tenant_a.scope():
        one = WorkItem.objects.select_related("team", "assigned_to").get(external_id="INC1")
        two = WorkItem.objects.get(external_id="INC2")
        skills = sorted(RequestedSkill.objects.values_list("skill_name", flat=True))
    assert (one.team.name, one.assigned_to.username, one.escalated, one.priority) == (
        "Service Desk", "ana", True, 2
    )
    assert one.attributes == {"region": "EU"}
    assert two.short_description == "Printer, 3rd floor"
    assert two.attributes == {}
    assert skills == ["DNS", "VPN"]
    update = write(tmp_path, "external_id,state,priority\nINC1,resolved,\nINC2,new,4\n", "u.csv")
    out, _err = run(tenant_a, update)
    assert "Created 0, updated 1, unchanged 1 of 2 rows" in out
    with tenant_a.scope():
        one = WorkItem.objects.get(external_id="INC1")
    assert (one.state, one.priority, one.number) == ("resolved", None, "INC0001")


def test_bad_rows_abort_everything_and_list_each_error(tenant_a, tmp_path):
    run(tenant_a, write(tmp_path, "external_id,kind,priority\nKEEP,call,3\n", "k.csv"))
    before = state()
    path = write(tmp_path, HEADER
                 + "A1,incident,,,new,2,,,2025-03-01,no,,\n"
                 + "A2,fax,,,new,9,,,yesterday,maybe,,\n"
                 + "A3,incident,,,new,1,Nope,ghost,,,,\n"
                 + "A1,incident,,,new,1,,,,,,\n"
                 + "KEEP,,,,,1,,,,,,\n")
    message, lines = fail(tenant_a, path)
    assert message == f"7 error(s) in {path}; nothing was imported."
    assert lines == [
        "line 3, column opened_at: “yesterday” is not an ISO 8601 date and time "
        "(such as 2025-03-01T09:30:00Z).",
        "line 3, column escalated: “maybe” is not true or false (use true/false, yes/no or 1/0).",
        "line 3, column kind: “fax” is not a kind; use one of: incident, problem, change, "
        "request, case, call, chat, email.",
        "line 3, column priority: 9 is out of range: use a whole number from 1 to 5.",
        "line 4, column assignment_group: No team named “Nope” in this organization.",
        "line 4, column assigned_to: No member of this organization has the username or "
        "e-mail “ghost”.",
        "line 5, column external_id: “A1” appears twice in this file (first on line 2).",
    ]
    assert state() == before


def test_missing_required_column_is_refused(tenant_a, tmp_path):
    message, lines = fail(tenant_a, write(tmp_path, "kind,number\nincident,INC1\n"))
    assert lines == ["line 1, column external_id: The required column external_id is missing."]
    assert state() == ([], 0)


def test_bad_date_is_refused_with_line_and_column(tenant_a, tmp_path):
    path = write(tmp_path, "external_id,kind,opened_at\nI1,incident,2025-03-01\n"
                           "I2,incident,01/03/2025\n")
    _message, lines = fail(tenant_a, path)
    assert lines == ["line 3, column opened_at: “01/03/2025” is not an ISO 8601 date and time "
                     "(such as 2025-03-01T09:30:00Z)."]
    assert state() == ([], 0)


def test_non_utf8_file_is_refused(tenant_a, tmp_path):
    path = write(tmp_path, "external_id,kind,short_description\nI1,incident,Caf\xe9\n"
                 .encode("latin-1"))
    _message, lines = fail(tenant_a, path)
    assert lines == ["line 2: The file is not UTF-8 text (byte 0xe9 cannot be read). "
                     "Save it as CSV UTF-8 and try again."]
    assert state() == ([], 0)


def test_row_with_wrong_number_of_cells_is_refused(tenant_a, tmp_path):
    _message, lines = fail(tenant_a, write(tmp_path, "external_id,kind\nI1,incident,extra\n"))
    assert lines == ["line 2: This row has 3 cells; the header has 2."]


def test_dry_run_reports_and_writes_nothing(tenant_a, tmp_path):
    out, _err = run(tenant_a, write(tmp_path, "external_id,kind\nI1,incident\nI2,call\n"),
                    "--dry-run")
    assert "Dry run, nothing written: would create 2, updated 0, unchanged 0 of 2 rows" in out
    assert state() == ([], 0)


def test_create_missing_makes_teams_and_agents(tenant_a, tmp_path):
    path = write(tmp_path, "external_id,kind,assignment_group,assigned_to\n"
                           "C1,case,Returns,rita\nC2,case,returns,rita\n")
    fail(tenant_a, path)
    run(tenant_a, path, "--create-missing")
    with scopes_disabled():
        team = Team.objects.get(organization=tenant_a.org)
        membership = Membership.objects.get(organization=tenant_a.org, user__username="rita")
        assigned = set(WorkItem.objects.values_list("team__name", "assigned_to__username"))
    assert team.name == "Returns"
    assert membership.roles == frozenset({"agent"})
    assert assigned == {("Returns", "rita")}


def test_unknown_organization_and_missing_file(tenant_a, tmp_path):
    with pytest.raises(CommandError, match="No organization with slug “nope”"):
        call_command("import_work_items", "--org", "nope", write(tmp_path, "external_id\n"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_work_items", "--org", tenant_a.org.slug, str(tmp_path / "no.csv"))


def test_large_file_streams_in_chunks(tenant_a, tmp_path):
    rows = "".join(f"W{i},chat,{i % 5 + 1}\n" for i in range(2500))
    out, _err = run(tenant_a, write(tmp_path, "external_id,kind,priority\n" + rows))
    assert "Created 2,500, updated 0, unchanged 0 of 2,500 rows" in out
    with tenant_a.scope():
        assert WorkEvent.objects.count() == 2500
