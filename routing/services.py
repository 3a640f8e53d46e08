"""Every routing write: the tenant's settings, routing a work item (rank, then assign
through work's write path so the assignment is a work event too, and record the decision),
and the per-agent routing state (open items per kind, last assignment) that ingest keeps
up to date in the transaction of every change of a work item.
"""

import hashlib
from collections import Counter
from datetime import datetime

from django.db import connection, transaction
from django.db.models import CharField, Count, Max
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from tenancy.models import Organization, User
from work.enums import OPEN_STATES, WorkKind
from work.extensions import ItemWrite
from work.models import WorkEvent, WorkItem
from work.services import upsert_work_items

from .enums import NobodyQualifies, Outcome, Pool, Trigger
from .errors import RoutingConflict, RoutingError
from .models import AgentOpenItems, AgentRoutingState, RoutingDecision
from .selectors import (
    RANKING_FUNCTION,
    SETTINGS_KEY,
    Candidate,
    Ranking,
    RoutingSettings,
    rank_candidates,
    ranking_function_sql,
)

__all__ = ["RoutingConflict", "RoutingError", "assign_to_candidate",
           "install_ranking_function", "rebuild_routing_state", "record_work_item_writes",
           "route_work_item", "set_routing_settings"]


def install_ranking_function(*, verbosity: int = 1, stdout=None) -> bool:
    """Install the ranking's PostgreSQL function (:func:`routing.selectors
    .ranking_function_sql`) when the database lacks it or holds another version (a hash of
    its definition, kept as the function's comment): run after every ``migrate``, so the
    function always says what the code says. Other databases rank with a plain statement.
    Returns whether it changed anything."""
    if connection.vendor != "postgresql":
        return False
    definition = ranking_function_sql()
    version = "coachdesk " + hashlib.sha256(definition.encode()).hexdigest()[:16]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc') FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE p.proname = %s AND n.nspname = current_schema()", [RANKING_FUNCTION])
        installed = cursor.fetchall()
        if [comment for _signature, comment in installed] == [version]:
            return False
        for signature, _comment in installed:
            cursor.execute(f"DROP FUNCTION {signature}")
        cursor.execute(definition)
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE p.proname = %s AND n.nspname = current_schema()",
            [RANKING_FUNCTION])
        cursor.execute(f"COMMENT ON FUNCTION {cursor.fetchone()[0]} IS %s", [version])
    if verbosity and stdout is not None:
        stdout.write(f"  Routing's ranking function installed ({version}).\n")
    return True


@transaction.atomic
def set_routing_settings(
    *,
    organization: Organization,
    auto_assign: bool,
    when_nobody_qualifies: str,
    pool: str,
    max_open: int,
    max_open_by_kind: dict[str, int] | None = None,
) -> RoutingSettings:
    """Save the tenant's routing settings. A capacity of 0 or less is refused (nobody
    could ever take work). Locks the organization row (its settings are shared JSON)."""
    if when_nobody_qualifies not in NobodyQualifies.values:
        raise RoutingError(f"“{when_nobody_qualifies}” is not a choice for when nobody qualifies.")
    if pool not in Pool.values:
        raise RoutingError(f"“{pool}” is not a candidate pool.")
    by_kind = dict(max_open_by_kind or {})
    for kind, value in [("", max_open), *by_kind.items()]:
        if kind and kind not in WorkKind.values:
            raise RoutingError(f"“{kind}” is not a kind of work.")
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            label = f" for {kind}" if kind else ""
            raise RoutingError(
                f"The maximum of open items per agent{label} must be a whole number of at "
                f"least 1 (got {value!r})."
            )
    settings = RoutingSettings(
        auto_assign=bool(auto_assign), when_nobody_qualifies=when_nobody_qualifies, pool=pool,
        max_open=max_open, max_open_by_kind=by_kind,
    )
    locked = Organization.objects.select_for_update().get(pk=organization.pk)
    values = dict(locked.settings or {})
    values[SETTINGS_KEY] = settings.as_json()
    locked.settings = values
    locked.save(update_fields=["settings"])
    organization.settings = values
    return settings


def _assign(organization: Organization, item: WorkItem, user: User) -> None:
    upsert_work_items(organization=organization,
                      items=[{"external_id": item.external_id, "assigned_to": user.username}])
    item.assigned_to = user


def _record(organization, item, *, trigger, outcome, reason, ranking=None, assigned_to=None,
            actor=None) -> RoutingDecision:
    return RoutingDecision.objects.create(
        organization=organization, work_item=item, trigger=trigger, outcome=outcome,
        reason=reason[:500], candidates=ranking.as_json() if ranking else [],
        assigned_to=assigned_to, actor=actor,
    )


def _why(candidate: Candidate) -> str:
    return "; ".join(candidate.reasons)


@transaction.atomic
def route_work_item(
    *,
    organization: Organization,
    item: WorkItem,
    trigger: str = Trigger.API,
    actor: User | None = None,
) -> tuple[Ranking, RoutingDecision]:
    """Rank the candidates for ``item`` and assign it to the top qualified one; when nobody
    qualifies, follow the tenant's setting (leave it unassigned and flag it, or assign the
    best partial match with free capacity, marked as such).

    The assignment goes through :func:`work.services.upsert_work_items` (a work event).
    Records a :class:`RoutingDecision` with every candidate, score and the reason. Locks
    the item row so two routings of one item serialize. Raises :class:`RoutingConflict`
    for a resolved or closed item and :class:`RoutingError` for unknown or retired skills
    (nothing is assigned then).
    """
    item = WorkItem.objects.select_for_update(of=("self",)).select_related(
        "team", "assigned_to").get(pk=item.pk, organization=organization)
    ranking = rank_candidates(organization=organization, item=item)
    if ranking.qualified:
        top = ranking.qualified[0]
        _assign(organization, item, top.user)
        return ranking, _record(
            organization, item, trigger=trigger, outcome=Outcome.ASSIGNED, ranking=ranking,
            assigned_to=top.user, actor=actor,
            reason=f"Best qualified agent: {top.user.username} ({_why(top)}).",
        )
    partial = [c for c in ranking.candidates if c.free > 0]
    if ranking.settings.when_nobody_qualifies == NobodyQualifies.BEST_PARTIAL and partial:
        best = partial[0]
        _assign(organization, item, best.user)
        return ranking, _record(
            organization, item, trigger=trigger, outcome=Outcome.PARTIAL, ranking=ranking,
            assigned_to=best.user, actor=actor,
            reason=f"Nobody qualified; best partial match: {best.user.username} ({_why(best)}).",
        )
    considered = ranking.considered
    return ranking, _record(
        organization, item, trigger=trigger, outcome=Outcome.FLAGGED, ranking=ranking,
        actor=actor,
        reason=(f"Nobody qualified among {considered} candidate(s); left unassigned."
                if considered else "No candidates (the item's team has no active agents, "
                                   "or the item has no team); left unassigned."),
    )


@transaction.atomic
def assign_to_candidate(
    *, organization: Organization, item: WorkItem, agent: User, actor: User
) -> RoutingDecision:
    """A coach assigns ``item`` to one of its ranked candidates (a partial match is
    allowed: the coach decides, and the decision says so). Locks the item row."""
    item = WorkItem.objects.select_for_update(of=("self",)).select_related(
        "team", "assigned_to").get(pk=item.pk, organization=organization)
    ranking = rank_candidates(organization=organization, item=item, include=agent)
    chosen = next((c for c in ranking.candidates if c.user.pk == agent.pk), None)
    if chosen is None:
        raise RoutingError(f"{agent.username} is not a candidate for {item.label}.")
    _assign(organization, item, chosen.user)
    outcome = Outcome.ASSIGNED if chosen.qualified else Outcome.PARTIAL
    return _record(
        organization, item, trigger=Trigger.MANUAL, outcome=outcome, ranking=ranking,
        assigned_to=chosen.user, actor=actor,
        reason=f"Chosen by {actor.username}: {chosen.user.username} ({_why(chosen)}).",
    )


@transaction.atomic
def auto_assign(*, organization: Organization, item: WorkItem) -> RoutingDecision | None:
    """Route a new or reopened unassigned open item when the tenant has auto-assign on.

    A refusal (unknown or retired skills) is recorded as a decision rather than raised,
    so the outbox does not retry an item that cannot be routed as it stands.
    """
    from .selectors import routing_settings

    if not routing_settings(organization).auto_assign:
        return None
    item = WorkItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.assigned_to_id is not None:
        return None
    try:
        with transaction.atomic():
            return route_work_item(organization=organization, item=item,
                                   trigger=Trigger.AUTO)[1]
    except RoutingConflict:
        return None
    except RoutingError as error:
        return _record(organization, item, trigger=Trigger.AUTO, outcome=Outcome.REFUSED,
                       reason=error.message)


# --- per-agent routing state --------------------------------------------------------------


def record_work_item_writes(organization: Organization, writes: list[ItemWrite]) -> None:
    """Move each agent's open-item counts and last assignment along with ingest's writes.

    Registered on :data:`work.extensions.work_item_writes`, so it runs inside the ingest
    transaction (API, CSV import, UI, routing, demo: every writer of ``assigned_to``) and
    its rows commit or roll back with the items. An item open and assigned before counts
    −1 for its old (assignee, kind), open and assigned after +1 for its new one; an item
    whose assignee changed to someone sets that agent's last assignment to the event's
    time if later. Counts move with ``open_items = open_items + n`` (one ``INSERT … ON
    CONFLICT DO UPDATE`` per table, rows in key order), never read-modify-write, so
    concurrent batches add up and lock agents in the same order (no deadlock).
    """
    deltas: Counter[tuple[int, str]] = Counter()
    assigned: dict[int, datetime] = {}
    for write in writes:
        item = write.item
        if write.before is not None:
            old_agent, old_kind, old_state = write.before
            if old_agent is not None and old_state in OPEN_STATES:
                deltas[(old_agent, old_kind)] -= 1
        if item.assigned_to_id is not None and item.state in OPEN_STATES:
            deltas[(item.assigned_to_id, item.kind)] += 1
        if "assigned_to" in write.changed and item.assigned_to_id is not None:
            when = assigned.get(item.assigned_to_id)
            if when is None or write.occurred_at > when:
                assigned[item.assigned_to_id] = write.occurred_at
    moves = sorted((key, n) for key, n in deltas.items() if n)
    ops = connection.ops
    with connection.cursor() as cursor:
        if moves:
            table = ops.quote_name(AgentOpenItems._meta.db_table)
            cursor.execute(
                f"INSERT INTO {table} (organization_id, user_id, kind, open_items) VALUES "  # noqa: S608 (names from the models, values bound)
                + ", ".join(["(%s, %s, %s, %s)"] * len(moves))
                + " ON CONFLICT (organization_id, user_id, kind) DO UPDATE"
                f" SET open_items = {table}.open_items + excluded.open_items",
                [v for (user_id, kind), n in moves for v in (organization.pk, user_id, kind, n)],
            )
        if assigned:
            table = ops.quote_name(AgentRoutingState._meta.db_table)
            rows = sorted(assigned.items())
            cursor.execute(
                f"INSERT INTO {table} (organization_id, user_id, last_assigned_at) VALUES "  # noqa: S608 (names from the models, values bound)
                + ", ".join(["(%s, %s, %s)"] * len(rows))
                + " ON CONFLICT (organization_id, user_id) DO UPDATE SET last_assigned_at ="
                f" CASE WHEN {table}.last_assigned_at IS NULL"
                f" OR {table}.last_assigned_at < excluded.last_assigned_at"
                f" THEN excluded.last_assigned_at ELSE {table}.last_assigned_at END",
                [v for user_id, when in rows
                 for v in (organization.pk, user_id, ops.adapt_datetimefield_value(when))],
            )


def routing_state_from_history(organization: Organization) -> tuple[dict, dict]:
    """What the state must hold, computed from work items and events the slow way:
    ``({(user_id, kind): open items}, {user_id: last assigned at})``. The last assignment
    is the latest event whose ``assigned_to`` changed to the agent (events name users by
    username)."""
    open_items = {
        (user_id, kind): n for user_id, kind, n in
        WorkItem.objects.filter(organization=organization, assigned_to__isnull=False,
                                state__in=OPEN_STATES)
        .values_list("assigned_to_id", "kind").annotate(n=Count("id")).order_by()
    }
    by_username = dict(
        WorkEvent.objects.filter(organization=organization)
        .annotate(agent=Cast(KT("changes__assigned_to__1"), CharField()))
        .filter(agent__isnull=False)
        .values_list("agent").annotate(last=Max("occurred_at")).order_by()
    )
    ids = dict(User.objects.filter(username__in=list(by_username))
               .values_list("username", "pk"))
    last = {ids[name]: when for name, when in by_username.items() if name in ids}
    return open_items, last


@transaction.atomic
def rebuild_routing_state(*, organization: Organization) -> None:
    """Recompute the organization's routing state from its work items and events (for
    work written around ingest, e.g. bulk loads). Locks the state rows by replacing them;
    run it while nothing is ingested for the organization."""
    open_items, last = routing_state_from_history(organization)
    AgentOpenItems.objects.filter(organization=organization).delete()
    AgentRoutingState.objects.filter(organization=organization).delete()
    AgentOpenItems.objects.bulk_create([
        AgentOpenItems(organization=organization, user_id=user_id, kind=kind, open_items=n)
        for (user_id, kind), n in sorted(open_items.items())
    ], batch_size=1000)
    AgentRoutingState.objects.bulk_create([
        AgentRoutingState(organization=organization, user_id=user_id, last_assigned_at=when)
        for user_id, when in sorted(last.items())
    ], batch_size=1000)
