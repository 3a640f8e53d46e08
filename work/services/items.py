"""The one write path for work items: create or update in bulk, with an event per change.

:func:`upsert_work_items` is what the API, the CSV import, the UI job and the demo seed
call. It validates the whole batch before writing anything (errors carry the item's index
and the field), resolves users and teams inside the organization only, computes what
changed per item, writes items, skill requirements, transcripts and
:class:`~work.models.WorkEvent` rows in one transaction, and enqueues the outbox task
after commit.
"""

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_scopes import scopes_disabled

from tenancy.enums import Role
from tenancy.models import Membership, Organization, Team, TeamMember, User
from tenancy.selectors import learns_team_membership
from tenancy.services import add_member, create_account, save_team

from .. import extensions
from ..enums import DONE_STATES, INTERACTION_KINDS, OPEN_STATES, EventType, WorkState
from ..models import RequestedSkill, Transcript, WorkEvent, WorkItem
from .cleaning import ITEM_FIELDS, USER_FIELDS, ItemError, clean_item
from .events import dispatch_events
from .transcripts import (
    INTERACTION_FIELDS,
    INTERACTION_TEXT_FIELDS,
    clean_interaction_fields,
    not_an_interaction_message,
)

MAX_BATCH = 1000
TRANSCRIPT_WRITE_BATCH = 100  # transcripts are large rows
# Fields written as columns of the item; ``transcript`` is its own row.
FIELDS = (*ITEM_FIELDS, *INTERACTION_TEXT_FIELDS)


class WorkItemsInvalid(Exception):
    """The batch was refused; nothing was written."""

    def __init__(self, errors: list[ItemError]):
        self.errors = errors
        super().__init__(f"{len(errors)} error(s) in the batch; nothing was written.")


@dataclass
class UpsertSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    event_ids: list[int] = field(default_factory=list)

    def add(self, other: "UpsertSummary") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


# --- references -------------------------------------------------------------------------


def _resolve_teams(organization: Organization, names: set[str]) -> dict[str, Team]:
    if not names:
        return {}
    teams = Team.objects.filter(organization=organization).annotate(lname=Lower("name"))
    return {t.lname: t for t in teams.filter(lname__in={n.lower() for n in names})}


def _resolve_users(organization: Organization, refs: set[str]) -> dict[str, User | None]:
    """Map each reference (username, or e-mail case-insensitively) to a member, or None if
    it names nobody in the organization or several members share the e-mail."""
    if not refs:
        return {}
    lowered = {r.lower() for r in refs}
    members = (
        Membership.objects.filter(organization=organization)
        .annotate(email_lower=Lower("user__email"))
        .filter(Q(user__username__in=refs) | Q(email_lower__in=lowered))
        .select_related("user")
    )
    by_username, by_email = {}, {}
    for membership in members:
        user = membership.user
        by_username[user.username] = user
        if user.email:
            by_email.setdefault(user.email.lower(), []).append(user)
    resolved: dict[str, User | None] = {}
    for ref in refs:
        if ref in by_username:
            resolved[ref] = by_username[ref]
        else:
            matches = by_email.get(ref.lower(), [])
            resolved[ref] = matches[0] if len(matches) == 1 else None
    return resolved


def _is_email(ref: str) -> bool:
    try:
        validate_email(ref)
    except ValidationError:
        return False
    return True


def _creatable_username_error(ref: str) -> str | None:
    if len(ref) > 150:
        return "Usernames have at most 150 characters."
    try:
        UnicodeUsernameValidator()(ref)
    except ValidationError:
        return f"“{ref}” cannot be a username (letters, digits and @ . + - _ only)."
    with scopes_disabled():
        taken = User.objects.filter(username=ref).exists()
    if taken:
        return (f"“{ref}” is an account outside this organization; add it as a member "
                f"before assigning work to it.")
    return None


# --- planning and writing ---------------------------------------------------------------


# Other names a field is known by: ``assignment_group`` (ServiceNow's word, the CSV
# column) is the team.
FIELD_ALIASES = {"assignment_group": "team"}


def _unalias(index: int, raw: Mapping) -> tuple[Mapping, list[ItemError]]:
    if not any(alias in raw for alias in FIELD_ALIASES):
        return raw, []
    data = dict(raw)
    errors = []
    for alias, name in FIELD_ALIASES.items():
        if alias not in data:
            continue
        value = data.pop(alias)
        if name in data and data[name] != value:
            errors.append(ItemError(index, alias, f"“{alias}” and “{name}” name the same "
                                                  "field with different values; send one."))
            continue
        data[name] = value
    return data, errors


def _clean(index: int, raw: Any, tz) -> tuple[dict, list[ItemError]]:
    """One item's fields: the interaction fields (queue, topic, transcript) by
    :mod:`.transcripts`, everything else by :func:`~.cleaning.clean_item`. ``team`` may
    also be sent as ``assignment_group``."""
    if not isinstance(raw, Mapping):
        return clean_item(index, raw, tz)
    raw, alias_errors = _unalias(index, raw)
    if INTERACTION_FIELDS.isdisjoint(raw):  # most items: nothing for .transcripts
        data, errors = clean_item(index, raw, tz)
        errors[:0] = alias_errors
        return data, errors
    data, errors = clean_item(
        index, {k: v for k, v in raw.items() if k not in INTERACTION_FIELDS}, tz
    )
    errors[:0] = alias_errors
    extra, extra_errors = clean_interaction_fields(index, raw)
    data.update(extra)
    errors.extend(extra_errors)
    return data, errors


@dataclass
class _Plan:
    items: list[tuple[int, dict]]
    existing: dict[str, WorkItem]
    teams: dict[str, Team]
    users: dict[str, User | None]
    missing_teams: set[str]
    missing_users: set[str]
    missing_skills: set[str]


def _plan(organization: Organization, items: Sequence[Any], *, create_missing: bool,
          lock: bool) -> _Plan:
    """Validate the batch and look up what it refers to; raise with every error found."""
    tz = organization.tzinfo
    errors: list[ItemError] = []
    cleaned: list[tuple[int, dict]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(items):
        data, item_errors = _clean(index, raw, tz)
        errors.extend(item_errors)
        external_id = data.get("external_id")
        if external_id is not None:
            if external_id in first_index:
                errors.append(ItemError(
                    index, "external_id",
                    f"“{external_id}” appears twice in this batch (first as item "
                    f"{first_index[external_id]}).",
                ))
                continue
            first_index[external_id] = index
        if not item_errors:
            cleaned.append((index, data))

    team_names = {d["team"] for _, d in cleaned if d.get("team")}
    user_refs = {d[f] for _, d in cleaned for f in USER_FIELDS if d.get(f)}
    teams = _resolve_teams(organization, team_names)
    users = _resolve_users(organization, user_refs)
    first_spelling: dict[str, str] = {}
    for _index, data in cleaned:
        if data.get("team") and data["team"].lower() not in teams:
            first_spelling.setdefault(data["team"].lower(), data["team"])
    missing_teams = set(first_spelling.values())
    missing_users = {r for r in user_refs if users.get(r) is None}
    skill_names = {name for _, d in cleaned for name, _level in d.get("skills", ())}
    catalog = extensions.skill_catalog.one()
    missing_skills = set(catalog.unknown(organization, skill_names)) if catalog else set()

    queryset = WorkItem.objects.filter(
        organization=organization, external_id__in=list(first_index)
    ).select_related("team", "assigned_to", "resolved_by")
    if lock:
        queryset = queryset.select_for_update(of=("self",)).order_by("external_id")
    existing = {item.external_id: item for item in queryset}

    user_problems: dict[str, str] = {}
    if create_missing:
        for ref in missing_users:
            problem = _creatable_username_error(ref)
            if problem:
                user_problems[ref] = problem
    errors.extend(_transcript_kind_errors(organization, cleaned, existing))
    for index, data in cleaned:
        if data["external_id"] not in existing and "kind" not in data:
            errors.append(ItemError(index, "kind", "A new work item needs a kind."))
        if data.get("team") and data["team"].lower() not in teams and not create_missing:
            errors.append(ItemError(
                index, "team", f"No team named “{data['team']}” in this organization."
            ))
        for name in USER_FIELDS:
            ref = data.get(name)
            if ref in missing_users:
                if not create_missing:
                    errors.append(ItemError(
                        index, name,
                        f"No member of this organization has the username or e-mail “{ref}”.",
                    ))
                elif ref in user_problems:
                    errors.append(ItemError(index, name, user_problems[ref]))
        unknown = [n for n, _level in data.get("skills", ()) if n in missing_skills]
        if unknown and not create_missing:
            errors.append(ItemError(index, "skills", f"Unknown skill: {', '.join(unknown)}."))
    if errors:
        errors.sort(key=lambda e: (e.index if e.index is not None else -1))
        raise WorkItemsInvalid(errors)
    return _Plan(cleaned, existing, teams, users, missing_teams, missing_users, missing_skills)


def _transcript_kind_errors(organization: Organization, cleaned: list[tuple[int, dict]],
                            existing: dict[str, WorkItem]) -> list[ItemError]:
    """Only interactions have a transcript: refuse one on another kind, and a change of
    an interaction with a stored transcript to another kind unless it removes it."""
    errors, leaving = [], {}
    for index, data in cleaned:
        item = existing.get(data["external_id"])
        kind = data.get("kind") or (item.kind if item else None)
        if kind is None or kind in INTERACTION_KINDS:
            continue
        if data.get("transcript"):
            errors.append(ItemError(index, "transcript", not_an_interaction_message(kind)))
        elif item is not None and item.kind in INTERACTION_KINDS and "transcript" not in data:
            leaving[item.pk] = (index, kind)
    if leaving:
        kept = Transcript.objects.filter(
            organization=organization, work_item_id__in=list(leaving)
        ).values_list("work_item_id", flat=True)
        for item_id in kept:
            index, kind = leaving[item_id]
            errors.append(ItemError(index, "kind", (
                f"{not_an_interaction_message(kind)} This item has a transcript: send "
                f"\"transcript\": [] with the new kind to remove it."
            )))
    return errors


def _create_missing(organization: Organization, plan: _Plan) -> None:
    for name in sorted(plan.missing_teams):
        plan.teams[name.lower()] = save_team(organization=organization, name=name)
    for ref in sorted(plan.missing_users):
        user = create_account(username=ref, email=ref if _is_email(ref) else "")
        add_member(organization=organization, user=user, roles=[Role.AGENT])
        plan.users[ref] = user
    if plan.missing_skills:
        catalog = extensions.skill_catalog.one()
        if catalog is not None:
            catalog.create(organization, sorted(plan.missing_skills))


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Team):
        return value.name
    if isinstance(value, User):
        return value.username
    return value


def _skills_json(pairs) -> list:
    return [name if level is None else f"{name} (≥{level})" for name, level in pairs]


def _new_item(organization: Organization, data: dict, plan: _Plan,
              now: datetime) -> tuple[WorkItem, dict]:
    """A new item built by one constructor call, and its changes as {field: [None, new]}:
    what :func:`_apply_fields` would set and record on a blank item (an empty value is set
    but not recorded, except ``kind`` and ``state``), without setting every field twice —
    ingest builds up to 1,000 of them per batch."""
    values, changes = {}, {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "team":
            team = plan.teams[value.lower()] if value else None
            if team is not None:
                values[name] = team
                changes[name] = [None, team.name]
            continue
        if name in USER_FIELDS:
            user = plan.users[value] if value else None
            if user is not None:
                values[name] = user
                changes[name] = [None, user.username]
            continue
        values[name] = value
        if value in ("", None, False, 0) and name not in ("kind", "state"):
            continue
        changes[name] = [None, _json(value)]
    if "attributes" in data:
        merged = {key: value for key, value in (data["attributes"] or {}).items()
                  if value is not None}
        for key in sorted(merged):
            changes[f"attributes.{key}"] = [None, merged[key]]
        values["attributes"] = merged
    item = WorkItem(organization=organization, external_id=data["external_id"],
                    created_at=now, updated_at=now, **values)
    return item, changes


def _apply_fields(item: WorkItem, data: dict, plan: _Plan) -> dict:
    """Set a stored item's fields from ``data``; return the changes as {field: [old, new]}
    (a new item is built by :func:`_new_item`)."""
    changes = {}
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "team":
            value = plan.teams[value.lower()] if value else None
        elif name in USER_FIELDS:
            value = plan.users[value] if value else None
        old = getattr(item, name)
        if name == "team" or name in USER_FIELDS:
            if getattr(old, "pk", None) != getattr(value, "pk", None):
                changes[name] = [_json(old), _json(value)]
                setattr(item, name, value)
            continue
        if old != value:
            changes[name] = [_json(old), _json(value)]
            setattr(item, name, value)
    if "attributes" in data:
        old_attributes = dict(item.attributes or {})
        incoming = data["attributes"]
        if incoming is None:
            merged = {}
        else:
            merged = dict(old_attributes)
            for key, value in incoming.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        for key in sorted(set(old_attributes) | set(merged)):
            if old_attributes.get(key) != merged.get(key):
                changes[f"attributes.{key}"] = [old_attributes.get(key), merged.get(key)]
        item.attributes = merged
    return changes


def _derive_counts(item: WorkItem, data: dict, changes: dict) -> None:
    """Count reassignments and reopenings when the source does not send the counts.

    A reassignment is a change of team or assignee away from someone (the first
    assignment is not one); a reopening is a move from resolved/closed to an open state.
    """
    if "reassignment_count" not in data and (
        ("team" in changes and changes["team"][0] is not None)
        or ("assigned_to" in changes and changes["assigned_to"][0] is not None)
    ):
        changes["reassignment_count"] = [item.reassignment_count, item.reassignment_count + 1]
        item.reassignment_count += 1
    if "reopen_count" not in data and "state" in changes:
        old_state, new_state = changes["state"]
        if old_state in DONE_STATES and new_state in OPEN_STATES:
            changes["reopen_count"] = [item.reopen_count, item.reopen_count + 1]
            item.reopen_count += 1


def _event_type(changes: dict) -> str:
    if "state" not in changes:
        return EventType.UPDATED
    old_state, new_state = changes["state"]
    if new_state == WorkState.RESOLVED:
        return EventType.RESOLVED
    if new_state == WorkState.CLOSED:
        return EventType.CLOSED
    if old_state in DONE_STATES and new_state in OPEN_STATES:
        return EventType.REOPENED
    return EventType.UPDATED


def _write(organization: Organization, plan: _Plan, *, occurred_at: datetime | None,
           create_missing: bool) -> UpsertSummary:
    if create_missing:
        _create_missing(organization, plan)
    now = timezone.now()
    summary = UpsertSummary()
    creates, updates, events = [], [], []  # events: (item, type, changes, occurred_at)
    writes: list[extensions.ItemWrite] = []
    update_fields: set[str] = set()
    skill_rows: dict[int, list] = {}  # id(item) -> pairs to write (replacing existing rows)
    existing_skills: dict[int, list] = {}
    skill_item_ids = [
        plan.existing[d["external_id"]].pk for _, d in plan.items
        if "skills" in d and d["external_id"] in plan.existing
    ]
    if skill_item_ids:
        rows = RequestedSkill.objects.filter(
            organization=organization, work_item_id__in=skill_item_ids
        ).values_list("work_item_id", "skill_name", "minimum_level")
        for item_id, name, level in rows:
            existing_skills.setdefault(item_id, []).append((name, level))
    stored_transcripts = _stored_transcripts(organization, plan)
    transcript_writes: dict[int, list[dict]] = {}  # id(item) -> turns ([] removes)

    for _index, data in plan.items:
        item = plan.existing.get(data["external_id"])
        new = item is None
        if new:
            before = None
            item, changes = _new_item(organization, data, plan, now)
        else:
            before = (item.assigned_to_id, item.kind, item.state)
            changes = _apply_fields(item, data, plan)
        if "skills" in data:
            old = [] if new else sorted(existing_skills.get(item.pk, []),
                                        key=lambda pair: pair[0].lower())
            if old != data["skills"]:
                changes["skills"] = [_skills_json(old), _skills_json(data["skills"])]
                skill_rows[id(item)] = data["skills"]
        if "transcript" in data:
            stored = None if new else stored_transcripts.get(item.pk)
            if (stored.turns if stored else []) != data["transcript"]:
                changes["transcript"] = [stored.turn_count if stored else None,
                                         len(data["transcript"])]
                transcript_writes[id(item)] = data["transcript"]
        if not new:
            _derive_counts(item, data, changes)
        when = data.get("occurred_at") or occurred_at or now
        if new or changes:
            writes.append(extensions.ItemWrite(item, before, frozenset(changes), when))
        if new:
            creates.append(item)
            events.append((item, EventType.CREATED, changes, when))
            summary.created += 1
        elif changes:
            item.updated_at = now
            updates.append(item)
            update_fields.update(
                name.split(".")[0] for name in changes if name not in ("skills", "transcript")
            )
            events.append((item, _event_type(changes), changes, when))
            summary.updated += 1
        else:
            summary.unchanged += 1

    if creates:
        WorkItem.objects.bulk_create(creates, batch_size=MAX_BATCH)
    if updates:
        _update_items(organization, updates, sorted(update_fields | {"updated_at"}))
    if skill_rows:
        by_id = {id(item): item for item in itertools.chain(creates, updates)}
        updated_keys = {id(item) for item in updates}
        replaced = [by_id[key].pk for key in skill_rows if key in updated_keys]
        if replaced:
            RequestedSkill.objects.filter(
                organization=organization, work_item_id__in=replaced
            ).delete()
        RequestedSkill.objects.bulk_create([
            RequestedSkill(organization=organization, work_item=by_id[key], skill_name=name,
                           minimum_level=level)
            for key, pairs in skill_rows.items() for name, level in pairs
        ], batch_size=MAX_BATCH)
        catalog = extensions.skill_catalog.one()
        if catalog is not None:
            catalog.replace_requirements(
                organization, {by_id[key].pk: pairs for key, pairs in skill_rows.items()}
            )
    if transcript_writes:
        by_id = {id(item): item for item in itertools.chain(creates, updates)}
        _write_transcripts(organization, [(by_id[key], turns) for key, turns in
                                          transcript_writes.items()],
                           stored_transcripts, now)
    if learns_team_membership(organization):
        _learn_team_membership(organization, plan)
    for observe in extensions.work_item_writes:
        observe(organization, writes)  # same transaction: their state commits with the items
    summary.event_ids = _insert_events(organization, events, now)
    if summary.event_ids:
        transaction.on_commit(partial(dispatch_events, organization.pk, summary.event_ids))
    return summary


def _update_items(organization: Organization, items: list[WorkItem],
                  names: list[str]) -> None:
    """Write these fields of the changed items.

    On PostgreSQL one ``UPDATE … FROM (VALUES …)`` per 1,000 items joins each row to its
    values by primary key: ``bulk_update`` sets every field to a ``CASE`` over all the
    batch's ids, which the database evaluates per row (quadratic: 1,000 changed items took
    seconds). Through Django's cursor, so it runs as the organization (row-level security).
    """
    if connection.vendor != "postgresql":
        WorkItem.objects.bulk_update(items, names, batch_size=MAX_BATCH)
        return
    fields = [WorkItem._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(WorkItem._meta.db_table)
    row = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    columns = ", ".join(["id", *(quote(f.column) for f in fields)])
    with connection.cursor() as cursor:
        for start in range(0, len(items), MAX_BATCH):
            batch = items[start:start + MAX_BATCH]
            params = []
            for item in batch:
                params.append(item.pk)
                params.extend(f.get_db_prep_save(getattr(item, f.attname), connection)
                              for f in fields)
            params.append(organization.pk)
            cursor.execute(
                f"UPDATE {table} AS w SET {assignments} FROM (VALUES "  # noqa: S608 (the model's table and columns, values bound)
                + ", ".join([row] * len(batch))
                + f") AS v({columns}) WHERE w.organization_id = %s AND w.id = v.id",
                params,
            )


def _insert_events(organization: Organization, events: list[tuple], now: datetime) -> list[int]:
    """Write the batch's events (``(item, type, changes, occurred_at)``), in order; return
    their ids.

    On PostgreSQL one ``INSERT … SELECT … FROM UNNEST`` per 1,000 events binds only what
    differs per event (item, type, changes, time) as four arrays and the rest once:
    ``bulk_create`` binds all twelve columns of every row, which made writing the events
    cost as much as writing the items. The statement goes through Django's cursor, so it
    runs as the organization (row-level security) like every other statement.
    """
    if not events:
        return []
    if connection.vendor != "postgresql":
        return [event.pk for event in WorkEvent.objects.bulk_create([
            WorkEvent(organization=organization, work_item=item, type=type_, changes=changes,
                      occurred_at=when, created_at=now, dispatched_at=now)
            for item, type_, changes, when in events
        ], batch_size=MAX_BATCH)]
    table = connection.ops.quote_name(WorkEvent._meta.db_table)
    encoder = WorkEvent._meta.get_field("changes").encoder
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(events), MAX_BATCH):
            rows = json.dumps([[item.pk, str(type_), changes, when.isoformat()]
                               for item, type_, changes, when in events[start:start + MAX_BATCH]],
                              cls=encoder)
            cursor.execute(
                f"INSERT INTO {table} (organization_id, work_item_id, type, changes, "  # noqa: S608 (the model's table, values bound)
                "occurred_at, created_at, dispatched_at, dispatch_count, attempts, last_error) "
                "SELECT %s, (e.row->>0)::bigint, e.row->>1, e.row->2, "
                "(e.row->>3)::timestamptz, %s, %s, 1, 0, '' "
                "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(row, n) "
                "ORDER BY e.n RETURNING id",
                [organization.pk, now, now, rows],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _learn_team_membership(organization: Organization, plan: _Plan) -> None:
    """Make each item's assignee a member of the item's team (the tenant setting "learn
    team membership from work"): otherwise work imported without team setup can never be
    routed (routing ranks a team's members) nor coached (coaches come from teams).
    Memberships are only ever added here, never removed."""
    pairs = set()
    for _index, data in plan.items:
        item = plan.existing.get(data["external_id"])
        team = plan.teams.get(data["team"].lower()) if data.get("team") else (
            item.team if item is not None and "team" not in data else None)
        if "assigned_to" in data:
            agent = plan.users.get(data["assigned_to"]) if data["assigned_to"] else None
        else:
            agent = item.assigned_to if item is not None else None
        if team is not None and agent is not None:
            pairs.add((team.pk, agent.pk))
    if not pairs:
        return
    known = set(TeamMember.objects.filter(
        organization=organization, team_id__in={t for t, _ in pairs},
        user_id__in={u for _, u in pairs}).values_list("team_id", "user_id"))
    TeamMember.objects.bulk_create([
        TeamMember(organization=organization, team_id=team_id, user_id=user_id)
        for team_id, user_id in sorted(pairs - known)
    ], ignore_conflicts=True)


def _stored_transcripts(organization: Organization, plan: _Plan) -> dict[int, Transcript]:
    """The stored transcripts of the existing items the batch sends one for (the items
    are locked, so these rows cannot change under us)."""
    item_ids = [plan.existing[d["external_id"]].pk for _, d in plan.items
                if "transcript" in d and d["external_id"] in plan.existing]
    if not item_ids:
        return {}
    return {t.work_item_id: t for t in Transcript.objects.filter(
        organization=organization, work_item_id__in=item_ids)}


def _write_transcripts(organization: Organization, writes: list[tuple[WorkItem, list[dict]]],
                       stored: dict[int, Transcript], now: datetime) -> None:
    """Create, replace or (for an empty list) delete the transcripts of ``writes``."""
    creates, updates, deletes = [], [], []
    for item, turns in writes:
        transcript = stored.get(item.pk)
        if not turns:
            deletes.append(transcript.pk)
        elif transcript is None:
            creates.append(Transcript(organization=organization, work_item=item, turns=turns,
                                      turn_count=len(turns), updated_at=now))
        else:
            transcript.turns, transcript.turn_count, transcript.updated_at = turns, len(turns), now
            updates.append(transcript)
    if deletes:
        Transcript.objects.filter(organization=organization, pk__in=deletes).delete()
    if creates:
        Transcript.objects.bulk_create(creates, batch_size=TRANSCRIPT_WRITE_BATCH)
    if updates:
        Transcript.objects.bulk_update(updates, ["turns", "turn_count", "updated_at"],
                                       batch_size=TRANSCRIPT_WRITE_BATCH)


def upsert_work_items(
    *,
    organization: Organization,
    items: Sequence[Any],
    create_missing: bool = False,
    occurred_at: datetime | None = None,
) -> UpsertSummary:
    """Create or update up to 1,000 work items by ``external_id``, all or nothing.

    Merge semantics: a field absent from an item keeps its stored value, an explicit
    ``None`` clears it (text to empty, counts to 0, flags to false; ``kind`` and ``state``
    cannot be cleared), ``attributes`` merge key by key (a ``None`` value drops the key),
    ``skills`` replace the item's requirements, ``transcript`` (calls, chats and e-mails
    only) replaces the stored transcript (``[]`` or ``None`` removes it). Users are
    referenced by username or e-mail and must be members of the organization; teams by
    name (case-insensitive). With ``create_missing`` unknown teams, agents and skills are
    created.

    Side effects: one :class:`WorkEvent` per created or changed item, in the same
    transaction (a new or changed transcript is recorded in its changes as
    ``"transcript": [old turn count or None, new turn count]``); after commit the outbox
    task is enqueued for them. Existing items are locked (``SELECT … FOR UPDATE``, in
    ``external_id`` order) so concurrent batches serialize per item; a batch that loses a
    race to create the same ``external_id`` is retried (outside an enclosing transaction).

    Raises :class:`WorkItemsInvalid` listing every error by item index and field.
    """
    if len(items) > MAX_BATCH:
        raise WorkItemsInvalid([ItemError(
            None, None,
            f"A batch holds at most {MAX_BATCH:,} items; this one has {len(items):,}.",
        )])
    for attempt in itertools.count(1):
        try:
            with transaction.atomic():
                plan = _plan(organization, items, create_missing=create_missing, lock=True)
                return _write(organization, plan, occurred_at=occurred_at,
                              create_missing=create_missing)
        except IntegrityError:
            if attempt >= 3 or connection.in_atomic_block:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def validate_work_items(
    *, organization: Organization, items: Sequence[Any], create_missing: bool = False
) -> None:
    """Check a batch as :func:`upsert_work_items` would, without writing; raise if invalid."""
    _plan(organization, items, create_missing=create_missing, lock=False)


def upsert_work_item(
    *, organization: Organization, data: Mapping[str, Any], create_missing: bool = False
) -> WorkItem:
    """Create or update one work item (see :func:`upsert_work_items`) and return it."""
    upsert_work_items(organization=organization, items=[data], create_missing=create_missing)
    return WorkItem.objects.get(organization=organization, external_id=data["external_id"].strip())
