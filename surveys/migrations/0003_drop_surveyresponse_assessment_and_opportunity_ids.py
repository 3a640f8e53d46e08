"""Which assessment a survey response belongs to is coaching's to record now
(``coaching.AssessmentSurvey``, copied by coaching 0007, which runs first); the opportunity
is the assessment's. ``opportunity_label`` stays: the effectiveness report's rows."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0002_trainee_survey_anonymity"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="surveyresponse",
            name="surveyresponse_unique_per_assessment",
        ),
        migrations.RemoveIndex(
            model_name="surveyresponse",
            name="surveyresp_org_assessment",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="assessment_id",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="opportunity_id",
        ),
        migrations.AlterField(
            model_name="surveyresponse",
            name="opportunity_label",
            field=models.CharField(
                blank=True, max_length=200,
                help_text="What triggered it (a coaching opportunity's name), for the "
                          "effectiveness report.",
            ),
        ),
    ]
