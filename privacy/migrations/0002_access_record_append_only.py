"""The access log is append-only on PostgreSQL: triggers refuse UPDATE and DELETE.

Allowed: an UPDATE that only empties ``subject``/``viewer`` (a user's deletion does that,
``on_delete=SET_NULL``), and anything inside a transaction that set ``app.retention`` to
``on`` (``privacy.access.deleting_expired_records``: the retention job, an erasure).
SQLite (the embedded default) has no such triggers.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION privacy_access_record_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('app.retention', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (NEW.subject_id IS NULL OR NEW.subject_id = OLD.subject_id)
       AND (NEW.viewer_id IS NULL OR NEW.viewer_id = OLD.viewer_id)
       AND (NEW.id, NEW.organization_id, NEW.viewer_label, NEW.kind, NEW.channel,
            NEW.object_id, NEW.object_label, NEW.path, NEW.viewed_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.organization_id, OLD.viewer_label, OLD.kind, OLD.channel,
            OLD.object_id, OLD.object_label, OLD.path, OLD.viewed_at)
    THEN
        RETURN NEW;  -- only a person's link removed (their account was deleted)
    END IF;
    RAISE EXCEPTION 'The access log is append-only: % of privacy_accessrecord refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only the retention job deletes records (privacy.access.deleting_expired_records).';
END;
$$;
DROP TRIGGER IF EXISTS privacy_access_record_append_only ON privacy_accessrecord;
CREATE TRIGGER privacy_access_record_append_only
    BEFORE UPDATE OR DELETE ON privacy_accessrecord
    FOR EACH ROW EXECUTE FUNCTION privacy_access_record_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS privacy_access_record_append_only ON privacy_accessrecord;
DROP FUNCTION IF EXISTS privacy_access_record_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
