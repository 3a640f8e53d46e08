"""The Work list's order as an index: newest opened first, undated last, then newest id.

PostgreSQL only (see WorkItem.Meta): SQLite refuses NULLS LAST in an index, and its DESC
already puts NULLs last.
"""

from django.db import migrations

INDEX = "workitem_org_list_order"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "work_workitem" '
            '("organization_id", "opened_at" DESC NULLS LAST, "id" DESC)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ("work", "0005_transcript_workitem_queue_workitem_topic_and_more"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
