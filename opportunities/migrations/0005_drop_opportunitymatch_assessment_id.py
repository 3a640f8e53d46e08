"""The assessment a match opened is coaching's to record now
(``coaching.CoachingAssessment.opportunity_match``, copied by coaching 0007, which runs
first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("opportunities", "0004_drop_course_and_survey_names"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="opportunitymatch",
            name="assessment_id",
        ),
    ]
