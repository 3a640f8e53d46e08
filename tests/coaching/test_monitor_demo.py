"""Done when (issue 17) on the demo data: the monitor shows assignments with compare
indicators, one demo assignment improved significantly against its comparison group and
another has too little data to tell; a second seed_demo adds nothing.

The first run is the one seeded demo the suite shares (``demo_db`` in tests/conftest.py)."""

import io

from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from coaching.models import CoachingAssignment
from quality.models import Evaluation, ScoreRollup
from tenancy.models import Organization, User


def test_seed_demo_monitor_shows_an_improvement_and_too_little_data(
        demo_db, django_capture_on_commit_callbacks):
    acme = Organization.objects.get(slug="acme")
    client = Client()
    with scopes_disabled():
        client.force_login(User.objects.get(username="acme-qa"))
    response = client.get(f"/o/{acme.slug}/coaching/monitor/?compare=on")
    assert response.status_code == 200
    rows = {row.assignment.name: row for row in response.context["rows"]}
    improved = rows["Empathy on every contact"]
    assert improved.effect.verdict == "improved" and improved.effect.low > 0
    assert improved.effect.comparison_agents >= 3
    assert improved.areas[0].change.direction == "spike"
    assert improved.areas[0].change.before.n >= 14
    sparse = rows["Communication on every contact"]
    assert sparse.effect.verdict == "too little data to tell"
    html = response.content.decode()
    assert 'data-verdict="improved"' in html and 'data-compare="spike"' in html
    panel = client.get(f"/o/{acme.slug}/coaching/monitor/{improved.assignment.pk}/")
    assert b"<svg" in panel.content and b"Comparison group" in panel.content

    with scopes_disabled():
        counts = (CoachingAssignment.objects.count(), Evaluation.objects.count(),
                  sum(ScoreRollup.objects.values_list("n", flat=True)))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    with scopes_disabled():
        assert (CoachingAssignment.objects.count(), Evaluation.objects.count(),
                sum(ScoreRollup.objects.values_list("n", flat=True))) == counts
