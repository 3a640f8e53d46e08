"""export_opportunities / import_opportunities: round trip, update by name, refusal."""

import json

import pytest
from django.core.management import CommandError, call_command

from opportunities.models import CoachingOpportunity


def run_import(tenant, tmp_path, entries):
    path = tmp_path / "opps.json"
    path.write_text(entries if isinstance(entries, str) else json.dumps(entries))
    call_command("import_opportunities", "--org", tenant.org.slug, str(path))


def names(tenant):
    with tenant.scope():
        return sorted(CoachingOpportunity.objects.values_list("name", "sample_rate"))


def test_import_defaults_update_by_name_and_export_round_trip(world, tmp_path, capsys):
    world.course("Escalation basics")
    world.survey("Coach check")
    run_import(world.tenant, tmp_path, [
        {"name": "Reassigned three times",
         "condition": {"field": "reassignment_count", "op": "gte", "value": 3}},
        {"name": "Escalated", "coach": "othercoach", "sample_rate": 50,
         "virtual_coach": {"name": "Auto"}, "courses": ["Escalation basics"],
         "coach_survey": "Coach check", "trainee_survey": None,
         "condition": {"field": "escalated", "op": "changed_to", "value": True}},
    ])
    assert names(world.tenant) == [("Escalated", 50), ("Reassigned three times", 100)]
    run_import(world.tenant, tmp_path, [
        {"name": "escalated", "sample_rate": 20,
         "condition": {"field": "escalated", "op": "eq", "value": True}},
    ])
    assert names(world.tenant) == [("Reassigned three times", 100), ("escalated", 20)]
    capsys.readouterr()
    call_command("export_opportunities", "--org", world.tenant.org.slug)
    exported = {o["name"]: o for o in json.loads(capsys.readouterr().out)}
    assert exported["Reassigned three times"] == {
        "name": "Reassigned three times", "description": "", "active": True, "kinds": [],
        "fires_on": "update",
        "condition": {"field": "reassignment_count", "op": "gte", "value": 3},
        "due_in_days": 7, "suppress_days": 0, "sample_rate": 100, "exempt_first_days": 0,
        "coach": "team_manager", "virtual_coach": None, "skills": [], "courses": [],
        "coach_survey": None, "trainee_survey": None,
    }
    assert exported["escalated"]["virtual_coach"] is None  # the update dropped it
    run_import(world.tenant, tmp_path, list(exported.values()))
    assert names(world.tenant) == [("Reassigned three times", 100), ("escalated", 20)]


@pytest.mark.parametrize(("entries", "message"), [
    ([{"name": "Ok", "condition": {"field": "priority", "op": "eq", "value": 1}},
      {"name": "Bad", "condition": {"all": [{"field": "priority", "op": "eq", "value": 1},
                                            {"any": [{"field": "state", "op": "equals",
                                                      "value": "new"}]}]}}],
     "Nothing imported. [1] “Bad”: all[1].any[0]: unknown operator 'equals'."),
    ([{"name": "No condition"}], "[0] “No condition”: 'condition' is required."),
    ([{"condition": {}}], "[0]: 'name' is required."),
    ([{"name": "X", "condition": {"field": "colour", "op": "eq", "value": 1}}],
     "[0] “X”: condition: unknown field 'colour'."),
    ([{"name": "X", "fires_on": "sometimes",
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: “sometimes” is not when an opportunity fires"),
    ([{"name": "X", "coach": "agent",
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: 'coach': “agent” is not a coach of this organization"),
    ([{"name": "X", "sample_rate": 101,
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: The sample rate must be a whole number from 0 to 100."),
    ([{"name": "X", "skills": [{"skill": "Nope", "level": "Novice"}],
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: skills[0]: no skill named “Nope”."),
    ([{"name": "X", "colour": "red",
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: unknown key 'colour'."),
    ([{"name": "Ok", "condition": {"field": "priority", "op": "eq", "value": 1}},
      {"name": "X", "courses": ["Firewall basics", "Nope"],
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "Nothing imported. [1] “X”: courses[1]: no course titled “Nope”."),
    ([{"name": "X", "coach_survey": "Nope",
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: 'coach_survey': no survey named “Nope”."),
    ([{"name": "X", "trainee_survey": "Coach review",
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: 'trainee_survey': “Coach review” is a coach about trainee survey; use a "
     "trainee about coach survey."),
    ([{"name": "X", "courses": ["Billing basics"],
       "condition": {"field": "priority", "op": "eq", "value": 1}}],
     "[0] “X”: courses[0]: no course titled “Billing basics”."),  # another tenant's course
    ({"name": "X"}, "The file must hold a list of opportunities."),
    ("[{", "is not valid JSON"),
])
def test_import_refuses_bad_input_and_changes_nothing(world, tenant_b, tmp_path, entries,
                                                      message):
    world.course("Firewall basics")
    world.survey("Coach review")
    world.course("Billing basics", tenant=tenant_b)
    world.opportunity(name="Existing")
    with pytest.raises(CommandError) as info:
        run_import(world.tenant, tmp_path, entries)
    assert message in str(info.value)
    assert names(world.tenant) == [("Existing", 100)]


def test_unknown_org_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No organization with slug “nope”."):
        call_command("export_opportunities", "--org", "nope")


def test_import_export_round_trip_keeps_courses_and_surveys(world, tmp_path, capsys):
    world.course("Firewall basics")
    world.course("VPN basics")
    world.survey("Coach review")
    world.survey("Coaching feedback", audience="trainee_about_coach")
    run_import(world.tenant, tmp_path, [
        {"name": "Reassigned", "courses": ["firewall BASICS", "VPN basics"],
         "coach_survey": "coach review", "trainee_survey": "Coaching feedback",
         "condition": {"field": "reassignment_count", "op": "gte", "value": 3}},
    ])
    capsys.readouterr()
    call_command("export_opportunities", "--org", world.tenant.org.slug)
    exported = json.loads(capsys.readouterr().out)
    assert [(o["courses"], o["coach_survey"], o["trainee_survey"]) for o in exported] == [
        (["Firewall basics", "VPN basics"], "Coach review", "Coaching feedback"),
    ]
    # Importing the export again changes nothing; dropping the keys clears them.
    run_import(world.tenant, tmp_path, exported)
    with world.tenant.scope():
        opportunity = CoachingOpportunity.objects.get()
        assert sorted(opportunity.courses.values_list("title", flat=True)) == [
            "Firewall basics", "VPN basics"]
        assert (opportunity.coach_survey.name, opportunity.trainee_survey.name) == (
            "Coach review", "Coaching feedback")
    run_import(world.tenant, tmp_path, [{**exported[0], "courses": [], "coach_survey": None}])
    with world.tenant.scope():
        opportunity = CoachingOpportunity.objects.get()
        assert list(opportunity.courses.all()) == []
        assert opportunity.coach_survey is None
        assert opportunity.trainee_survey.name == "Coaching feedback"
