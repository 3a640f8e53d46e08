"""The access log: record that someone looked at one agent's personal data.

Every page and API operation that shows one agent's evaluations, transcripts, assessments,
plans, disputes, assignments, overview or skills calls :func:`record_access` once it has
found the object and checked the viewer may see it. Nothing is recorded when the agents
look at their own data. A viewer who opens the same object again within
:data:`DEDUPE_WINDOW` (a refresh, the page after a form post) adds no second record.

The table is append-only: on PostgreSQL triggers refuse every UPDATE and refuse DELETE
unless the transaction says it runs the retention job (:func:`deleting_expired_records`).
Two updates stay allowed because the database itself makes them: a user's deletion sets
``subject``/``viewer`` to NULL (``on_delete=SET_NULL``), and an erasure may do the same and
replace ``viewer_label`` (inside :func:`deleting_expired_records` too).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import get_scope

from .models import AccessChannel, AccessKind, AccessRecord

if TYPE_CHECKING:
    from tenancy.models import Organization, User

# The same viewer opening the same object of the same agent again within this window adds
# no record (refreshing a page must not flood the log).
DEDUPE_WINDOW = timedelta(minutes=10)

# The transaction-local setting that lets the retention job delete expired records.
RETENTION_SETTING = "app.retention"

_LABEL = AccessRecord._meta.get_field("object_label").max_length
_VIEWER = AccessRecord._meta.get_field("viewer_label").max_length
_PATH = AccessRecord._meta.get_field("path").max_length


def _viewer_of(actor: Any) -> tuple["User | None", str, "Organization | None", str, str]:
    """``(viewer, viewer_label, organization, channel, path)`` of a page request, an API
    request (its token), a token, or a user (organization from the active scope)."""
    from tenancy.models import ApiToken

    token = getattr(actor, "auth", None) if not isinstance(actor, ApiToken) else actor
    path = actor.get_full_path() if hasattr(actor, "get_full_path") else ""
    if isinstance(token, ApiToken):
        if token.is_personal:
            return token.user, str(token.user), token.organization, AccessChannel.API, path
        return None, token.name, token.organization, AccessChannel.API, path
    user = getattr(actor, "user", actor)
    organization = getattr(actor, "organization", None) or get_scope().get("organization")
    return user, str(user), organization, AccessChannel.PAGE, path


def record_access(actor: Any, *, subject: "User | int | None", kind: AccessKind, obj: Any = None,
                  label: str = "", channel: AccessChannel | None = None) -> bool:
    """Record that ``actor`` viewed ``subject``'s data of ``kind`` (``obj``, shown as
    ``label``); True when a record was written.

    ``subject`` is the agent or their id. ``actor`` is the page's request, the API's
    request (its token is the viewer: a personal token's person, else the token's name),
    an :class:`~tenancy.models.ApiToken` or a user.
    ``channel`` defaults to what ``actor`` is (page or API). Nothing is written when the
    viewer is the subject, without a subject, or when the same viewer recorded the same
    object within :data:`DEDUPE_WINDOW`. One statement (an INSERT … WHERE NOT EXISTS), so the
    cost of a page does not grow with the log.
    """
    subject_id = getattr(subject, "pk", subject)
    if subject_id is None:
        return False
    viewer, viewer_label, organization, default_channel, path = _viewer_of(actor)
    if organization is None:
        raise ValueError("record_access needs an organization (a request or a tenant scope).")
    if viewer is not None and getattr(viewer, "pk", None) == subject_id:
        return False
    now = timezone.now()
    object_id = "" if obj is None else str(getattr(obj, "pk", obj))
    row = {
        "organization_id": organization.pk,
        "subject_id": subject_id,
        "viewer_id": getattr(viewer, "pk", None),
        "viewer_label": viewer_label[:_VIEWER],
        "kind": str(kind),
        "channel": str(channel or default_channel),
        "object_id": object_id,
        "object_label": (label or object_id)[:_LABEL],
        "path": path[:_PATH],
        "viewed_at": now,
    }
    table = connection.ops.quote_name(AccessRecord._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in row)
    same_viewer = ("viewer_id = %s" if row["viewer_id"] is not None
                   else "viewer_id IS NULL AND viewer_label = %s")
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model, values bound)
        f"SELECT {', '.join(['%s'] * len(row))} WHERE NOT EXISTS ("
        f"SELECT 1 FROM {table} WHERE organization_id = %s AND subject_id = %s "
        f"AND {same_viewer} AND kind = %s AND object_id = %s AND viewed_at > %s)"
    )
    params = [*row.values(), row["organization_id"], row["subject_id"],
              row["viewer_id"] if row["viewer_id"] is not None else row["viewer_label"],
              row["kind"], object_id, now - DEDUPE_WINDOW]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


@contextmanager
def deleting_expired_records() -> Iterator[None]:
    """Let the block delete access records (the retention job, an erasure): on PostgreSQL
    the append-only triggers allow DELETE only inside a transaction that set
    ``app.retention`` to ``on``. Runs the block in a transaction of its own (or the
    surrounding one) and sets the flag for that transaction only."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [RETENTION_SETTING])
        yield
        # Back off for the rest of a surrounding transaction (on an error the savepoint's
        # rollback undoes the setting anyway).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', true)", [RETENTION_SETTING])


def _set_retention_flag(value: str) -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [RETENTION_SETTING, value])


def allow_deleting_with_organization(sender, instance, **kwargs) -> None:
    """``pre_delete`` of an organization: its access records go with it (the append-only
    triggers would refuse the cascade). Set for the deleting transaction only; cleared again
    by :func:`forbid_deleting_after_organization`."""
    _set_retention_flag("on")


def forbid_deleting_after_organization(sender, instance, **kwargs) -> None:
    _set_retention_flag("")
