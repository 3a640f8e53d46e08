"""Coaching owns its links to the apps below it: the learning tasks and survey responses an
assessment created, and the match-log line that opened it (0007 copies the old integer
columns in; learning, surveys and opportunities then drop them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0005_drop_course_and_survey_names"),
        ("learning", "0001_initial"),
        ("opportunities", "0004_drop_course_and_survey_names"),
        ("surveys", "0002_trainee_survey_anonymity"),
        ("tenancy", "0002_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="coachingassessment",
            name="opportunity_match",
            field=models.OneToOneField(
                blank=True, editable=False,
                help_text="The line of the opportunity's match log that opened it.", null=True,
                on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                to="opportunities.opportunitymatch",
            ),
        ),
        migrations.CreateModel(
            name="AssessmentLearningTask",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("assessment", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="learning_task_links", to="coaching.coachingassessment")),
                ("organization", models.ForeignKey(
                    editable=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="tenancy.organization")),
                ("task", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="learning.learningtask")),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["organization", "assessment"],
                                         name="assessmenttask_org_asmt")],
            },
        ),
        migrations.CreateModel(
            name="AssessmentSurvey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("assessment", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="survey_links",
                    to="coaching.coachingassessment")),
                ("organization", models.ForeignKey(
                    editable=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="tenancy.organization")),
                ("response", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="surveys.surveyresponse")),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["organization", "assessment"],
                                         name="assessmentsurvey_org_asmt")],
            },
        ),
    ]
