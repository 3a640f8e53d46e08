"""seed_demo for behaviour coaching plans (issue 18): a plan in every status, one agent
who improved and one who did not (decided from their audits by the beat task's service),
advice with feedback; a second seed_demo adds nothing.

The first run is the one seeded demo the suite shares (``demo_db`` in tests/conftest.py)."""

import io

from django.core.management import call_command
from django_scopes import scopes_disabled

from coaching.models import AdviceFeedback, CoachingPlan, PlanNote


def test_seed_demo_has_plans_in_every_status_and_is_idempotent(
        demo_db, django_capture_on_commit_callbacks):
    with scopes_disabled():
        plans = list(CoachingPlan.objects.filter(organization__slug="acme"))
        statuses = sorted(p.status for p in plans)
        improved = next(p for p in plans if p.status == "improvement")
        missed = next(p for p in plans if p.status == "action_required")
        votes = sorted(AdviceFeedback.objects.filter(organization__slug="acme")
                       .values_list("variant_key", "vote"))
        counts = (CoachingPlan.objects.count(), PlanNote.objects.count(),
                  AdviceFeedback.objects.count())
    assert statuses == ["action_required", "draft", "improvement", "shared", "working"]
    assert improved.outcome_score >= improved.target_percent
    assert improved.outcome_note.startswith("reached the target: ")
    assert missed.outcome_score < missed.target_percent
    assert missed.outcome_note.startswith("missed the target: ")
    assert improved.agent_id != missed.agent_id
    assert votes == [("embedded:contrast", 1), ("embedded:steps", -1)]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    with scopes_disabled():
        assert (CoachingPlan.objects.count(), PlanNote.objects.count(),
                AdviceFeedback.objects.count()) == counts
