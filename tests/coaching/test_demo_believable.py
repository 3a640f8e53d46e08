"""The demo a new user meets (issue 20): one assessment per work item and opportunity, no
survey about a human coach who did not coach (a virtual coach did), the virtual coach's
skill related to what it coaches, and the coaching spread over the demo's months."""

from django.db.models import Count, Max, Min
from django_scopes import scope

from coaching.enums import Origin
from coaching.models import AssessmentSkill, AssessmentSurvey, CoachingAssessment
from tenancy.models import Organization


def test_the_demo_coaching_is_believable(demo_db):
    acme = Organization.objects.get(slug="acme")
    with scope(organization=acme):
        triggered = CoachingAssessment.objects.filter(origin=Origin.OPPORTUNITY)
        assert triggered.count() >= 10
        twice = (triggered.values("work_item_id", "opportunity_id")
                 .annotate(n=Count("id")).filter(n__gt=1))
        assert list(twice) == []
        about_a_person = AssessmentSurvey.objects.filter(
            assessment__virtual_coach__isnull=False, response__subject__isnull=False)
        assert about_a_person.count() == 0
        automatic = AssessmentSurvey.objects.filter(assessment__virtual_coach__isnull=False)
        assert automatic.exists()
        assert set(AssessmentSkill.objects.filter(assessment__virtual_coach__isnull=False)
                   .values_list("skill__name", flat=True)) == {"Complaint handling"}
        span = triggered.aggregate(first=Min("created_at"), last=Max("created_at"))
        assert (span["last"] - span["first"]).days >= 30, span
