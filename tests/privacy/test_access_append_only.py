"""The access log is append-only on PostgreSQL: the triggers refuse UPDATE and DELETE,
allow DELETE inside ``deleting_expired_records()`` (the retention job), and allow the
update the database makes itself when a person's account is deleted (links emptied)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_scopes import scopes_disabled

from privacy.access import deleting_expired_records, record_access
from privacy.models import AccessRecord

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the triggers exist on PostgreSQL only (SQLite has none)"),
]


@pytest.fixture
def records(tenant_a):
    agent = tenant_a.member(username="alice")
    coach = tenant_a.member(roles=["coach"], username="carl", first_name="Carl",
                           last_name="Coach")
    with tenant_a.scope():
        record_access(coach, subject=agent, kind="evaluation", obj=1, label="Audit of C-1")
        record_access(coach, subject=agent, kind="evaluation", obj=2, label="Audit of C-2")
    with scopes_disabled():
        return list(AccessRecord.objects.order_by("pk"))


def _refused(fn):
    with pytest.raises(DatabaseError, match="append-only") as error, transaction.atomic():
        fn()
    return error


def test_update_is_refused(records):
    with scopes_disabled():
        _refused(lambda: AccessRecord.objects.filter(pk=records[0].pk).update(
            viewer_label="someone else"))
        _refused(lambda: AccessRecord.objects.filter(pk=records[0].pk).update(subject=None,
                                                                               kind="skills"))
        assert AccessRecord.objects.get(pk=records[0].pk).viewer_label == "Carl Coach"


def test_delete_is_refused_outside_the_retention_job(records):
    with scopes_disabled():
        _refused(lambda: AccessRecord.objects.filter(pk=records[0].pk).delete())
        with connection.cursor() as cursor:
            _refused(lambda: cursor.execute("DELETE FROM privacy_accessrecord"))
        assert AccessRecord.objects.count() == 2


def test_the_retention_job_may_delete(records):
    with scopes_disabled():
        with deleting_expired_records():
            AccessRecord.objects.filter(pk=records[0].pk).delete()
        assert list(AccessRecord.objects.values_list("pk", flat=True)) == [records[1].pk]
        # the permission ended with the block
        _refused(lambda: AccessRecord.objects.filter(pk=records[1].pk).delete())


def test_deleting_a_person_empties_their_links(records):
    with scopes_disabled():
        viewer = records[0].viewer
        viewer.delete()
        assert list(AccessRecord.objects.order_by("pk").values_list(
            "viewer_id", "viewer_label", "object_label")) == [
            (None, "Carl Coach", "Audit of C-1"), (None, "Carl Coach", "Audit of C-2")]


def test_deleting_an_organization_deletes_its_access_log_and_nothing_else(
        records, tenant_a, tenant_b):
    gina = tenant_b.member(username="gina")
    quinn = tenant_b.member(roles=["qa_analyst"], username="quinn")
    with tenant_b.scope():
        record_access(quinn, subject=gina, kind="skills", obj=gina, label="Skills")
    with scopes_disabled():
        kept = AccessRecord.objects.get(organization=tenant_b.org)
        with transaction.atomic():
            tenant_a.org.delete()
            # …and within the same transaction, no other record may be deleted.
            _refused(lambda: AccessRecord.objects.filter(pk=kept.pk).delete())
        assert list(AccessRecord.objects.values_list("pk", flat=True)) == [kept.pk]
