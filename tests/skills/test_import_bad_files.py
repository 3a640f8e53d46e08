"""A skills CSV that cannot be stored is refused line by line (issue 12, item 7).

A NUL byte and a 128 KB cell answered 500; a line with too few cells was imported as if
the missing level were the lowest. Each is now an error with its line number, and nothing
is imported.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from skills.models import UserSkill
from skills.services import import_user_skills

HEADER = "user,skill,level\n"


def _errors(world, text: str):
    with world.tenant.scope():
        report = import_user_skills(organization=world.tenant.org, csv_text=text)
        assert not UserSkill.objects.exists()
    return report.errors


def test_a_nul_byte_is_an_error_on_its_line(world):
    assert _errors(world, HEADER + "abe,Firewall,Advanced\namy,Fire\x00wall,Novice\n") == [
        (3, "The skill: Text cannot contain the NUL character (\\x00)."),
    ]


def test_a_line_with_too_few_or_too_many_cells_is_an_error(world):
    assert _errors(world, HEADER + "abe,Firewall\namy,Router,Novice,extra\nabe,Router,Novice\n"
                   ) == [
        (2, "This line has 2 cells; the header has 3."),
        (3, "This line has 4 cells; the header has 3."),
    ]


def test_a_128_kb_cell_is_an_error_on_its_line(world):
    big = "x" * (128 * 1024)
    assert _errors(world, HEADER + "abe,Firewall,Advanced\n" + f"amy,{big},Novice\n") == [
        (3, "The skill has 131,072 characters; at most 120 fit."),
    ]
    # Over the CSV module's default cell limit too (work's imports raise it for the whole
    # process, so the skills import does the same): still an error of its column, and the
    # lines after it are read.
    assert _errors(world, HEADER + f"amy,Router,{big}x\nabe,Router,Novice\n"
                   f"amy,{big},Novice\n") == [
        (2, "The level has 131,073 characters; at most 60 fit."),
        (4, "The skill has 131,072 characters; at most 120 fit."),
    ]


def test_the_upload_page_lists_the_errors_by_line(world, login, tenant_b):
    data = (HEADER + "abe,Firewall,Advanced\nabe,Router\nzed\x00,Router,Novice\n"
            + "amy," + "x" * (128 * 1024) + ",Novice\n")
    url = world.tenant.url("skills/import/")
    response = login(world.skill_admin).post(url, {
        "file": SimpleUploadedFile("skills.csv", data.encode()), "dry_run": ""})
    assert response.status_code == 200
    assert response.context["report"].errors == [
        (3, "This line has 2 cells; the header has 3."),
        (4, "The user: Text cannot contain the NUL character (\\x00)."),
        (5, "The skill has 131,072 characters; at most 120 fit."),
    ]
    page = response.content.decode()
    assert "This line has 2 cells; the header has 3." in page
    with world.tenant.scope():
        assert not UserSkill.objects.exists()
    # Only skill admins import; another tenant's member does not even see the page.
    assert login(world.coach).post(url, {"file": SimpleUploadedFile("s.csv", b"x")}) \
        .status_code == 403
    assert login(world.outsider).get(url).status_code == 404
