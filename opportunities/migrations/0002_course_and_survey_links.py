"""Courses and surveys become references: the free-text columns are kept under new names
until 0003 has copied what matches (0004 drops them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("opportunities", "0001_initial"),
        ("learning", "0001_initial"),
        ("surveys", "0001_initial"),
        ("tenancy", "0002_api_token"),
    ]

    operations = [
        migrations.RenameField("coachingopportunity", "courses", "course_titles"),
        migrations.RenameField("coachingopportunity", "coach_survey", "coach_survey_name"),
        migrations.RenameField("coachingopportunity", "trainee_survey", "trainee_survey_name"),
        migrations.CreateModel(
            name="OpportunityCourse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to="learning.courseitem")),
                ("opportunity", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="course_links",
                    to="opportunities.coachingopportunity")),
                ("organization", models.ForeignKey(
                    editable=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="tenancy.organization")),
            ],
            options={
                "ordering": ["course__title", "id"],
                "indexes": [models.Index(fields=["organization", "course"],
                                         name="oppcourse_org_course")],
                "constraints": [models.UniqueConstraint(fields=("opportunity", "course"),
                                                        name="oppcourse_unique")],
            },
        ),
        migrations.AddField(
            model_name="coachingopportunity",
            name="courses",
            field=models.ManyToManyField(
                blank=True, help_text="Course items assigned to the agent on completion.",
                related_name="+", through="opportunities.OpportunityCourse",
                to="learning.courseitem"),
        ),
        migrations.AddField(
            model_name="coachingopportunity",
            name="coach_survey",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="surveys.surveytemplate",
                limit_choices_to={"audience": "coach_about_trainee"},
                help_text="The coach's survey about the agent; its score sets the rating."),
        ),
        migrations.AddField(
            model_name="coachingopportunity",
            name="trainee_survey",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="surveys.surveytemplate",
                limit_choices_to={"audience": "trainee_about_coach"},
                help_text="The agent's survey about the coaching."),
        ),
    ]
