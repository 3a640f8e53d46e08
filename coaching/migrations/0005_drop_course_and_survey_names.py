from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0004_copy_course_and_survey_names"),
    ]

    operations = [
        migrations.RemoveField("coachingassessment", "course_titles"),
        migrations.RemoveField("coachingassessment", "coach_survey_name"),
        migrations.RemoveField("coachingassessment", "trainee_survey_name"),
    ]
