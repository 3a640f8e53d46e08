"""Training and surveys become references: the free-text columns are kept under new names
until 0004 has copied what matches (0005 drops them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0002_initial"),
        ("learning", "0001_initial"),
        ("surveys", "0001_initial"),
        ("tenancy", "0002_api_token"),
    ]

    operations = [
        migrations.RenameField("coachingassessment", "courses", "course_titles"),
        migrations.RenameField("coachingassessment", "coach_survey", "coach_survey_name"),
        migrations.RenameField("coachingassessment", "trainee_survey", "trainee_survey_name"),
        migrations.CreateModel(
            name="AssessmentCourse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("assessment", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="course_links",
                    to="coaching.coachingassessment")),
                ("course", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to="learning.courseitem")),
                ("organization", models.ForeignKey(
                    editable=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="tenancy.organization")),
            ],
            options={
                "ordering": ["course__title", "id"],
                "indexes": [models.Index(fields=["organization", "course"],
                                         name="assessmentcourse_org_course")],
                "constraints": [models.UniqueConstraint(fields=("assessment", "course"),
                                                        name="assessmentcourse_unique")],
            },
        ),
        migrations.AddField(
            model_name="coachingassessment",
            name="courses",
            field=models.ManyToManyField(
                blank=True,
                help_text="Training: course items assigned to the trainee on completion.",
                related_name="+", through="coaching.AssessmentCourse",
                to="learning.courseitem"),
        ),
        migrations.AddField(
            model_name="coachingassessment",
            name="coach_survey",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="surveys.surveytemplate",
                limit_choices_to={"audience": "coach_about_trainee"}),
        ),
        migrations.AddField(
            model_name="coachingassessment",
            name="trainee_survey",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="surveys.surveytemplate",
                limit_choices_to={"audience": "trainee_about_coach"}),
        ),
    ]
