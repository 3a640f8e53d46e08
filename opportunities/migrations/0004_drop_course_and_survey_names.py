from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("opportunities", "0003_copy_course_and_survey_names"),
    ]

    operations = [
        migrations.RemoveField("coachingopportunity", "course_titles"),
        migrations.RemoveField("coachingopportunity", "coach_survey_name"),
        migrations.RemoveField("coachingopportunity", "trainee_survey_name"),
    ]
