"""Every routing write: the tenant's settings, and routing a work item (rank, then assign
through work's write path so the assignment is a work event too, and record the decision).
"""

from django.db import transaction

from tenancy.models import Organization, User
from work.enums import WorkKind
from work.models import WorkItem
from work.services import upsert_work_items

from .enums import NobodyQualifies, Outcome, Pool, Trigger
from .errors import RoutingConflict, RoutingError
from .models import RoutingDecision
from .selectors import SETTINGS_KEY, Candidate, Ranking, RoutingSettings, rank_candidates

__all__ = ["RoutingConflict", "RoutingError", "assign_to_candidate", "route_work_item",
           "set_routing_settings"]


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
    considered = len(ranking.candidates)
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
    ranking = rank_candidates(organization=organization, item=item)
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
