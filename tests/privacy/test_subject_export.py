"""manage.py export_person: everything one tenant holds about one person, nothing else."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django_scopes import scopes_disabled

from privacy.models import PersonalDataRequest
from privacy.subject import find_subject
from privacy.subject_export import collect
from tests.factories import Tenant

from .subject_rows import EMAIL, NAME, USERNAME, build


@pytest.fixture
def cast(db):
    return build(Tenant(slug="alpha"), Tenant(slug="beta"))


def _ids(export) -> dict[str, set[int]]:
    return {label: {row["id"] for row in rows} for label, rows in export.data["data"].items()}


def test_export_holds_exactly_the_persons_rows(cast):
    with cast.tenant.scope():
        export = collect(find_subject(organization=cast.tenant.org, reference=USERNAME))
    assert _ids(export) == dict(cast.expected)
    assert export.counts == {label: len(ids) for label, ids in cast.expected.items()}


def test_export_holds_nothing_of_another_tenant_or_person(cast):
    with cast.tenant.scope():
        export = collect(find_subject(organization=cast.tenant.org, reference=USERNAME))
    text = json.dumps(export.data, default=str)
    assert "other company" not in text  # her "about me" in beta
    data = export.data["data"]
    assert [r["trainee"] for r in data["coaching.CoachingAssessment"]] == [NAME]
    assert [r["agent"] for r in data["quality.ScoreRollup"]] == [NAME]
    evaluations = export.data["data"]["quality.Evaluation"]
    assert [(e["agent"], e["total"], e["comment"]) for e in evaluations] == [
        (NAME, 80.0, "Jane greeted well.")]
    with cast.other_tenant.scope():
        other = collect(find_subject(organization=cast.other_tenant.org, reference=USERNAME))
    assert other.counts == {"tenancy.Membership": 1, "work.WorkItem": 1}
    assert other.data["data"]["tenancy.Membership"][0]["about"] == (
        "Jane Doe at the other company.")


def test_export_rows_have_readable_labels_and_say_why(cast):
    with cast.tenant.scope():
        export = collect(find_subject(organization=cast.tenant.org, reference=EMAIL.upper()))
    data = export.data["data"]
    assessment = data["coaching.CoachingAssessment"][0]
    assert assessment["trainee"] == NAME
    assert assessment["trainee_id"] == cast.person.pk
    assert assessment["coach"] == "Carl Coach"
    assert assessment["state"] == "open"
    assert assessment["state_display"] == "Open"
    assert assessment["included_because"] == ["trainee"]
    assert "organization" not in assessment and "organization_id" not in assessment
    answer = data["quality.Answer"][0]
    assert answer["included_because"] == ["its evaluation is about the person"]
    mentioned = [r for r in data["work.WorkItem"] if r["external_id"] == "INC-9"][0]
    assert mentioned["included_because"] == [
        "names the person in short_description, description"]
    token = data["tenancy.ApiToken"][0]
    assert "key_hash" not in token and token["key_prefix"] == "cd_abc"
    assert export.data["person"]["email"] == EMAIL
    assert export.data["organization"] == {"name": "Alpha", "slug": "alpha"}


def test_export_person_writes_a_zip_with_json_and_one_csv_per_model(cast, tmp_path):
    path = tmp_path / "jane.zip"
    out = io.StringIO()
    call_command("export_person", "--org", "alpha", "--user", USERNAME, "--output", str(path),
                 stdout=out)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        data = json.loads(archive.read("data.json"))
        evaluations = list(csv.DictReader(io.StringIO(
            archive.read("csv/quality.Evaluation.csv").decode())))
        transcript = list(csv.DictReader(io.StringIO(
            archive.read("csv/work.Transcript.csv").decode())))
    labels = sorted(cast.expected)
    assert names == ["data.json"] + [f"csv/{label}.csv" for label in labels]
    assert sorted(data["data"]) == labels
    assert data["format"] == "coachdesk-subject-access/1"
    assert [(row["agent"], row["total"], row["comment"]) for row in evaluations] == [
        (NAME, "80.0", "Jane greeted well.")]
    assert json.loads(transcript[0]["turns"])[0]["text"] == (
        "Hello, this is Jane Doe, how can I help?")
    total = sum(len(ids) for ids in cast.expected.values())
    lines = out.getvalue().splitlines()
    assert lines[0] == f"Exported {total} rows about jdoe in Alpha to {path}"
    assert "  quality.Evaluation: 1" in lines
    with cast.tenant.scope():
        record = PersonalDataRequest.objects.get()
    assert (record.kind, record.subject, record.subject_label, record.dry_run) == (
        "export", cast.person, NAME, False)
    assert record.requested_by.startswith("manage.py export_person")
    assert record.summary == {"rows": {label: len(ids) for label, ids in
                                       sorted(cast.expected.items())},
                              "file": "jane.zip"}


@pytest.mark.parametrize(("org", "user", "message"), [
    ("nowhere", USERNAME, "No organization with slug “nowhere”."),
    ("alpha", "ghost", "No user with the username or e-mail address “ghost”."),
    ("alpha", "ghost@example.com",
     "No user with the username or e-mail address “ghost@example.com”."),
])
def test_export_person_refuses_an_unknown_organization_or_person(cast, tmp_path, org, user,
                                                                 message):
    path = tmp_path / "x.zip"
    with pytest.raises(CommandError, match=message):
        call_command("export_person", "--org", org, "--user", user, "--output", str(path))
    assert not path.exists()
    with scopes_disabled():
        assert PersonalDataRequest.objects.count() == 0


def test_export_person_refuses_someone_without_data_in_the_organization(db, tmp_path):
    alpha, beta = Tenant(slug="alpha"), Tenant(slug="beta")
    beta.member(username="stranger")
    alpha.member(username="local", roles=("org_admin",))
    with pytest.raises(CommandError, match="stranger has no data in Alpha."):
        call_command("export_person", "--org", "alpha", "--user", "stranger",
                     "--output", str(tmp_path / "x.zip"))


def test_export_person_exits_non_zero_on_error(db, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "export_person", "--org", "nowhere",
                           "--user", "x"]).execute()
    assert exit_info.value.code == 1
    assert "No organization with slug “nowhere”." in capsys.readouterr().err
