"""The recommender's evidence by (agent, skill): each required and predicted skill carries
its item's credited agent and whether the item is resolved, copied by triggers on
PostgreSQL, with a partial index (organization, credited_to, skill) of the resolved ones.

- ``skills_evidence_credit`` (BEFORE INSERT, or a new ``work_item_id``) copies the item's
  ``credited_to`` and state onto the new row: every writer (ingest's catalogue, the
  recommender, raw SQL) gets it right without knowing.
- ``skills_evidence_follow`` (AFTER UPDATE of a work item whose credited agent or resolved
  state changed) copies them onto the item's rows.
"""

from django.db import migrations, models

DONE = "('resolved', 'closed')"  # work.enums.DONE_STATES
TABLES = ("skills_workitemskill", "skills_workitemprediction")

FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION skills_evidence_credit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT w.credited_to, w.state IN {DONE} INTO NEW.credited_to, NEW.done
        FROM work_workitem w WHERE w.id = NEW.work_item_id;
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION skills_evidence_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE skills_workitemskill SET credited_to = NEW.credited_to,
               done = NEW.state IN {DONE} WHERE work_item_id = NEW.id;
        UPDATE skills_workitemprediction SET credited_to = NEW.credited_to,
               done = NEW.state IN {DONE} WHERE work_item_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    *[f"""
    CREATE TRIGGER skills_evidence_credit BEFORE INSERT OR UPDATE OF work_item_id ON {table}
    FOR EACH ROW EXECUTE FUNCTION skills_evidence_credit()
    """ for table in TABLES],
    f"""
    CREATE TRIGGER skills_evidence_follow AFTER UPDATE ON work_workitem FOR EACH ROW
    WHEN (OLD.credited_to IS DISTINCT FROM NEW.credited_to
          OR (OLD.state IN {DONE}) IS DISTINCT FROM (NEW.state IN {DONE}))
    EXECUTE FUNCTION skills_evidence_follow()
    """,
    *[f"""
    UPDATE {table} e SET credited_to = w.credited_to, done = w.state IN {DONE}
    FROM work_workitem w WHERE w.id = e.work_item_id
    """ for table in TABLES],
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS skills_evidence_follow ON work_workitem",
    *[f"DROP TRIGGER IF EXISTS skills_evidence_credit ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS skills_evidence_follow()",
    "DROP FUNCTION IF EXISTS skills_evidence_credit()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("skills", "0006_list_order_indexes"),
        ("work", "0007_workitem_credited_to"),
    ]

    operations = [
        migrations.AddField(
            model_name="workitemskill", name="credited_to",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="workitemskill", name="done",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="workitemprediction", name="credited_to",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="workitemprediction", name="done",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
        migrations.AddIndex(
            model_name="workitemskill",
            index=models.Index(condition=models.Q(done=True),
                               fields=["organization", "credited_to", "skill"],
                               name="skills_wis_evidence"),
        ),
        migrations.AddIndex(
            model_name="workitemprediction",
            index=models.Index(condition=models.Q(done=True),
                               fields=["organization", "credited_to", "skill"],
                               name="skills_pred_evidence"),
        ),
    ]
