"""coaching 0006/0007: the integer links learning, surveys and opportunities kept become
coaching's own foreign keys (inside one tenant), and back."""

import datetime

import pytest
from django.utils import timezone

from tenancy import rls
from tests import scratch_db

BEFORE = [
    ("coaching", "0005_drop_course_and_survey_names"),
    ("learning", "0001_initial"),
    ("opportunities", "0004_drop_course_and_survey_names"),
    ("surveys", "0002_trainee_survey_anonymity"),
    # Work as it was then too: a later work migration adds NOT NULL columns (queue, topic)
    # that these historical models would not fill.
    ("work", "0004_text_limits"),
]
# The links copied, and the integer columns they were copied from dropped.
AFTER = [
    ("coaching", "0007_copy_assessment_links"),
    ("learning", "0002_drop_learningtask_assessment_id"),
    ("opportunities", "0005_drop_opportunitymatch_assessment_id"),
    ("surveys", "0003_drop_surveyresponse_assessment_and_opportunity_ids"),
    ("work", "0004_text_limits"),
]


def _migrate(targets):
    apps = scratch_db.migrate(targets)
    rls.sync_policies()  # what migrate does after its migrations (post_migrate)
    return apps


def _old_rows(apps):
    """Two tenants' assessments and the lower apps' rows pointing at them by integer."""
    Organization = apps.get_model("tenancy", "Organization")
    User = apps.get_model("tenancy", "User")
    Assessment = apps.get_model("coaching", "CoachingAssessment")
    CourseItem = apps.get_model("learning", "CourseItem")
    LearningTask = apps.get_model("learning", "LearningTask")
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    Opportunity = apps.get_model("opportunities", "CoachingOpportunity")
    OpportunityMatch = apps.get_model("opportunities", "OpportunityMatch")
    WorkItem = apps.get_model("work", "WorkItem")

    ours = Organization.objects.create(slug="ours", name="Ours")
    theirs = Organization.objects.create(slug="theirs", name="Theirs")
    agent = User.objects.create(username="agent")
    today = datetime.date(2026, 1, 5)
    opportunity = Opportunity.objects.create(organization=ours, name="Reopened")
    assessment = Assessment.objects.create(organization=ours, trainee=agent, due_date=today,
                                           opportunity=opportunity)
    foreign = Assessment.objects.create(organization=theirs, trainee=agent, due_date=today)
    course = CourseItem.objects.create(organization=ours, title="VPN", source="link")

    def task(assessment_id):
        return LearningTask.objects.create(organization=ours, assigned_to=agent,
                                           course_item=course, due_date=today,
                                           assessment_id=assessment_id, state="completed")

    template = SurveyTemplate.objects.create(organization=ours, name="Review",
                                             audience="coach_about_trainee")

    def response(assessment_id):
        return SurveyResponse.objects.create(
            organization=ours, template=template, respondent=agent, due_at=timezone.now(),
            assessment_id=assessment_id, opportunity_id=opportunity.pk,
            opportunity_label="Reopened")

    item = WorkItem.objects.create(organization=ours, external_id="INC1", kind="incident")

    def match(assessment_id):
        return OpportunityMatch.objects.create(organization=ours, opportunity=opportunity,
                                               work_item=item, outcome="fired",
                                               assessment_id=assessment_id)

    return {
        "assessment": assessment.pk, "foreign": foreign.pk, "ours": ours.pk,
        "tasks": [task(assessment.pk).pk, task(foreign.pk).pk, task(foreign.pk + 100).pk,
                  task(None).pk],
        "responses": [response(assessment.pk).pk, response(foreign.pk).pk, response(None).pk],
        "matches": [match(assessment.pk).pk, match(assessment.pk).pk, match(foreign.pk).pk],
    }


@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_links_into_coaching_keeping_only_same_tenant_ones_and_back():
    with scratch_db.scratch_database():
        rows = _old_rows(_migrate(BEFORE))
        apps = _migrate(AFTER)
        AssessmentLearningTask = apps.get_model("coaching", "AssessmentLearningTask")
        AssessmentSurvey = apps.get_model("coaching", "AssessmentSurvey")
        Assessment = apps.get_model("coaching", "CoachingAssessment")
        LearningTask = apps.get_model("learning", "LearningTask")

        assessment, ours = rows["assessment"], rows["ours"]
        # Only the links to an assessment of the row's own tenant survive: not another
        # tenant's id, nor one that names no assessment.
        assert list(AssessmentLearningTask.objects.values_list(
            "task_id", "assessment_id", "organization_id")) == [
            (rows["tasks"][0], assessment, ours)]
        assert list(AssessmentSurvey.objects.values_list(
            "response_id", "assessment_id", "organization_id")) == [
            (rows["responses"][0], assessment, ours)]
        assert dict(Assessment.objects.values_list("pk", "opportunity_match_id")) == {
            assessment: rows["matches"][0], rows["foreign"]: None}
        assert "assessment_id" not in {f.name for f in LearningTask._meta.get_fields()}

        apps = _migrate(BEFORE)
        assert dict(apps.get_model("learning", "LearningTask").objects.values_list(
            "pk", "assessment_id")) == dict(zip(rows["tasks"], [assessment, None, None, None],
                                                strict=True))
        assert list(apps.get_model("surveys", "SurveyResponse").objects.order_by("pk")
                    .values_list("assessment_id", flat=True)) == [assessment, None, None]
        assert list(apps.get_model("opportunities", "OpportunityMatch").objects.order_by("pk")
                    .values_list("assessment_id", flat=True)) == [assessment, None, None]
