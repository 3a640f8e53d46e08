"""seed_demo adds believable access records: acme's Service Desk coach opened audits of
agents of their own team, the QA analyst read transcripts, the org admin one skills page,
the integration one evaluation through the API; a second run adds nothing."""

import io

from django.core.management import call_command
from django_scopes import scopes_disabled

from privacy.models import AccessRecord
from tenancy.models import Organization, Team


def test_demo_access_records_are_believable_and_seeded_once(demo_db):
    with scopes_disabled():
        acme = Organization.objects.get(slug="acme")
        desk = Team.objects.get(organization=acme, name="Service Desk")
        members = set(desk.members.values_list("pk", flat=True))
        records = list(AccessRecord.objects.filter(organization=acme))
        by_kind = {}
        for record in records:
            by_kind.setdefault((record.kind, record.channel), []).append(record)
        assert sorted((k, len(v)) for k, v in by_kind.items()) == [
            (("evaluation", "api"), 1), (("evaluation", "page"), 7),
            (("skills", "page"), 1), (("transcript", "page"), 2)]
        assert {r.viewer_id for r in by_kind[("evaluation", "page")]} == {desk.manager_id}
        assert {r.subject_id for r in records} <= members
        assert by_kind[("evaluation", "api")][0].viewer_label == "Workforce analytics"
        assert all(r.subject_id != r.viewer_id for r in records)
        call_command("seed_demo", stdout=io.StringIO())
        assert AccessRecord.objects.filter(organization=acme).count() == len(records) == 11
