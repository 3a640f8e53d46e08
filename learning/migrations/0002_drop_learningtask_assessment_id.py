"""Which assessment asked for a learning task is coaching's to record now
(``coaching.AssessmentLearningTask``, copied by coaching 0007, which runs first)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("learning", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="learningtask",
            name="learningtask_org_assessment",
        ),
        migrations.RemoveField(
            model_name="learningtask",
            name="assessment_id",
        ),
    ]
