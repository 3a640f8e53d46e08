"""Copy the integer links the lower apps kept (``LearningTask.assessment_id``,
``SurveyResponse.assessment_id``, ``OpportunityMatch.assessment_id``) into coaching's own
foreign keys. A link is kept only when the assessment exists in the row's organization;
anything else (a deleted assessment, another tenant's id) is dropped. Runs before those
apps drop their columns; backwards it writes them again."""

from django.db import migrations

BATCH = 1000


def _assessments_by_pk(Assessment, pairs):
    """{assessment pk: organization id} of the assessments the pairs name."""
    ids = {assessment_id for _, assessment_id, _ in pairs}
    found = {}
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH):
        found.update(Assessment.objects.filter(pk__in=ids[start:start + BATCH])
                     .values_list("pk", "organization_id"))
    return found


def _linked(Assessment, rows):
    """(row pk, assessment pk, organization id) of the rows whose assessment is of their
    own organization."""
    pairs = list(rows.filter(assessment_id__isnull=False)
                 .values_list("pk", "assessment_id", "organization_id").order_by("pk"))
    organization_of = _assessments_by_pk(Assessment, pairs)
    return [(pk, assessment_id, organization_id) for pk, assessment_id, organization_id in pairs
            if organization_of.get(assessment_id) == organization_id]


def copy_forward(apps, schema_editor):
    Assessment = apps.get_model("coaching", "CoachingAssessment")
    AssessmentLearningTask = apps.get_model("coaching", "AssessmentLearningTask")
    AssessmentSurvey = apps.get_model("coaching", "AssessmentSurvey")
    LearningTask = apps.get_model("learning", "LearningTask")
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    OpportunityMatch = apps.get_model("opportunities", "OpportunityMatch")

    AssessmentLearningTask.objects.bulk_create(
        [AssessmentLearningTask(organization_id=org, assessment_id=assessment, task_id=task)
         for task, assessment, org in _linked(Assessment, LearningTask.objects.all())],
        batch_size=BATCH,
    )
    AssessmentSurvey.objects.bulk_create(
        [AssessmentSurvey(organization_id=org, assessment_id=assessment, response_id=response)
         for response, assessment, org in _linked(Assessment, SurveyResponse.objects.all())],
        batch_size=BATCH,
    )
    # One match line per assessment (the first, should a re-delivery have logged two).
    first_match = {}
    for match, assessment, _org in _linked(Assessment, OpportunityMatch.objects.all()):
        first_match.setdefault(assessment, match)
    for assessment, match in first_match.items():
        Assessment.objects.filter(pk=assessment).update(opportunity_match_id=match)


def copy_backward(apps, schema_editor):
    Assessment = apps.get_model("coaching", "CoachingAssessment")
    AssessmentLearningTask = apps.get_model("coaching", "AssessmentLearningTask")
    AssessmentSurvey = apps.get_model("coaching", "AssessmentSurvey")
    LearningTask = apps.get_model("learning", "LearningTask")
    SurveyResponse = apps.get_model("surveys", "SurveyResponse")
    OpportunityMatch = apps.get_model("opportunities", "OpportunityMatch")

    for task, assessment in AssessmentLearningTask.objects.values_list("task_id", "assessment_id"):
        LearningTask.objects.filter(pk=task).update(assessment_id=assessment)
    for response, assessment, opportunity in AssessmentSurvey.objects.values_list(
            "response_id", "assessment_id", "assessment__opportunity_id"):
        SurveyResponse.objects.filter(pk=response).update(assessment_id=assessment,
                                                          opportunity_id=opportunity)
    for assessment, match in Assessment.objects.filter(
            opportunity_match__isnull=False).values_list("pk", "opportunity_match_id"):
        OpportunityMatch.objects.filter(pk=match).update(assessment_id=assessment)


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0006_assessment_links"),
    ]
    # The columns copied from are dropped by these, which must wait for the copy.
    run_before = [
        ("learning", "0002_drop_learningtask_assessment_id"),
        ("opportunities", "0005_drop_opportunitymatch_assessment_id"),
        ("surveys", "0003_drop_surveyresponse_assessment_and_opportunity_ids"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_backward),
    ]
