# Outbox isolation (attempts and backoff per event) and browser imports stored on disk,
# swept like events (issue 12, items 3 and 5).

import django.utils.timezone
from django.core.files.base import ContentFile
from django.db import migrations, models

import work.models


def move_queued_files_to_disk(apps, schema_editor):
    """Imports not yet run keep their upload: it moves from the row to MEDIA_ROOT."""
    WorkImport = apps.get_model("work", "WorkImport")
    pending = WorkImport.objects.filter(status="queued").exclude(content=b"")
    for work_import in pending.iterator():
        work_import.file.save("upload.csv", ContentFile(bytes(work_import.content)), save=False)
        work_import.save(update_fields=["file"])


class Migration(migrations.Migration):

    dependencies = [
        ("work", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="workevent",
            name="attempts",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="workevent",
            name="retry_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="workimport",
            name="dispatch_count",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.AddField(
            model_name="workimport",
            name="dispatched_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="workimport",
            name="file",
            field=models.FileField(blank=True, editable=False, max_length=255,
                                   upload_to=work.models._import_path),
        ),
        migrations.RunPython(move_queued_files_to_disk, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="workimport",
            name="content",
        ),
    ]
