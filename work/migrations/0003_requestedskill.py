# Work's model of the skill names a source sent is renamed to say what it is (issue 13,
# item 8): ``RequestedSkill``, beside the skills app's resolved ``WorkItemSkill``. The table
# is renamed in place (RenameModel), so every row stays; the index and the unique
# constraint follow the new name.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("work", "0002_outbox_attempts_import_files"),
    ]

    operations = [
        migrations.RenameModel(old_name="WorkItemSkill", new_name="RequestedSkill"),
        migrations.AlterField(
            model_name="requestedskill",
            name="work_item",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="requested_skills",
                to="work.workitem",
            ),
        ),
        migrations.RenameIndex(
            model_name="requestedskill",
            new_name="requestedskill_org_skill",
            old_name="workitemskill_org_skill",
        ),
        migrations.RemoveConstraint(
            model_name="requestedskill",
            name="workitemskill_unique_skill",
        ),
        migrations.AddConstraint(
            model_name="requestedskill",
            constraint=models.UniqueConstraint(
                fields=("work_item", "skill_name"), name="requestedskill_unique_skill"
            ),
        ),
    ]
