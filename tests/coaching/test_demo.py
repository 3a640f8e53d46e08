"""seed_demo's coaching extension, run with the learning and surveys demo data it builds
on: opportunities reference real demo courses and surveys, completed demo assessments have
learning tasks and surveys linked to them (coaching's link tables), and a second run adds
nothing.

The first run is the one seeded demo the suite shares (``demo_db`` in tests/conftest.py);
the second runs here, inside the test's transaction."""

import io

from django.core.management import call_command
from django_scopes import scope

from coaching.models import AssessmentLearningTask, AssessmentSurvey, CoachingAssessment
from coaching.services import rating_from_score
from opportunities.models import CoachingOpportunity
from tenancy.models import Organization


def _snapshot(organization):
    with scope(organization=organization):
        opportunities = {
            o.name: (sorted(o.courses.values_list("title", flat=True)),
                     getattr(o.coach_survey, "name", None),
                     getattr(o.trainee_survey, "name", None))
            for o in CoachingOpportunity.objects.select_related("coach_survey",
                                                                "trainee_survey")
        }
        assessment_ids = set(CoachingAssessment.objects.values_list("pk", flat=True))
        tasks = sorted(AssessmentLearningTask.objects.values_list("task_id", "assessment_id"))
        surveys = sorted(AssessmentSurvey.objects.values_list(
            "response_id", "assessment_id", "response__state", "response__score"))
        ratings = dict(CoachingAssessment.objects.values_list("pk", "rating"))
        coach_survey_ids = dict(CoachingAssessment.objects.values_list("pk",
                                                                        "coach_survey_id"))
        scored = list(AssessmentSurvey.objects.filter(
            response__state="completed", response__score__isnull=False,
            response__template__audience="coach_about_trainee",
        ).values_list("assessment_id", "response__template_id", "response__score"))
    return opportunities, assessment_ids, tasks, surveys, ratings, coach_survey_ids, scored


def test_seed_demo_links_coaching_to_learning_and_surveys_idempotently(
        demo_db, django_capture_on_commit_callbacks):
    # The survey completion hook (the rating) runs after commit (the shared seed committed).
    acme = Organization.objects.get(slug="acme")
    opportunities, ids, tasks, surveys, ratings, coach_surveys, scored = _snapshot(acme)

    assert opportunities == {
        "Escalated": (["De-escalation techniques"], "Coaching review of the trainee",
                      "How was your coaching?"),
        "Reassigned three times": (["VPN troubleshooting checklist"],
                                   "Coaching review of the trainee", "How was your coaching?"),
        "Reopened": ([], "Coaching review of the trainee", None),
        "SLA breached": (["Empathy on the phone"], None, "How was your coaching?"),
    }
    assert tasks and {a for _, a in tasks} <= ids
    assert surveys and {a for _, a, _, _ in surveys} <= ids
    assert {state for _, _, state, _ in surveys} == {"pending", "completed"}
    # Every answered coach survey of an assessment set that assessment's rating.
    assert scored
    for assessment_id, template_id, score in scored:
        if coach_surveys[assessment_id] == template_id:
            assert ratings[assessment_id] == rating_from_score(score)

    reviews = _reviews(acme)
    states, linked, statuses = reviews
    assert states == {"pending_agent": 2, "pending_supervisor": 1, "re_evaluated": 1,
                      "resolved": 1, "accepted": 1}
    # The audit whose dispute waits for QA is in a coaching assignment, whose status says so.
    assert linked.count("pending_supervisor") == 1
    assert statuses.count("Pending supervisor review") == 1

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--quiet-logins", stdout=io.StringIO())
    assert _snapshot(acme) == (opportunities, ids, tasks, surveys, ratings, coach_surveys,
                               scored)
    assert _reviews(acme) == reviews


def _reviews(organization):
    """The demo audits under the agents' review, by state; the review states of the audits
    linked to coaching assignments; the assignments' review statuses."""
    from collections import Counter

    from coaching.models import AssignmentInteraction, CoachingAssignment
    from coaching.selectors_assignments import REVIEW_STATUS_LABELS, with_review_status
    from quality.models import Evaluation

    with scope(organization=organization):
        states = Counter(Evaluation.objects.exclude(review_state="")
                         .values_list("review_state", flat=True))
        linked = sorted(AssignmentInteraction.objects.filter(evaluation__isnull=False)
                        .exclude(evaluation__review_state="")
                        .values_list("evaluation__review_state", flat=True))
        statuses = [REVIEW_STATUS_LABELS[s] for s in with_review_status(
            CoachingAssignment.objects.filter(organization=organization), organization)
            .exclude(review_status="").values_list("review_status", flat=True)]
    return dict(states), linked, statuses
