"""``POST /api/v1/work-items/{external_id}/route``: rank (and optionally assign).

Mounted by :mod:`config.api` on the work-items prefix, before work's own router.
"""

from ninja import Router, Schema, Status
from pydantic import Field

from tenancy.api_types import Body, errors, text

from . import selectors, services
from .enums import Trigger

router = Router()


class RouteIn(Body):
    assign: bool = Field(False, strict=True)


class CandidateOut(Schema):
    agent: str
    score: float
    qualified: bool
    reasons: list[str]


class RouteOut(Schema):
    candidates: list[CandidateOut]
    assigned_to: str | None = None
    outcome: str | None = None
    reason: str | None = None


@router.post("/{path:external_id}/route",
             response={200: RouteOut, **errors(400, 404, 409)},
             summary="Rank the agents for a work item, and optionally assign it")
def route_work_item(request, external_id: text(200, min_length=1),
                    body: RouteIn | None = None):
    """The ten best candidates in rank order, qualified ones first (plus the best one with
    free capacity when it ranks lower). With ``{"assign": true}`` the item
    is assigned to the top qualified agent (or per the tenant's no-one-qualifies setting)
    and ``outcome``/``assigned_to``/``reason`` say what happened."""
    organization = request.auth.organization
    try:
        item = selectors.work_item_for_routing(organization, external_id)
    except selectors.WorkItem.DoesNotExist:
        return Status(404, {"detail": f"No work item with external_id “{external_id}”."})
    try:
        if body is not None and body.assign:
            ranking, decision = services.route_work_item(
                organization=organization, item=item, trigger=Trigger.API)
            return Status(200, {
                "candidates": ranking.as_json(),
                "assigned_to": decision.assigned_to.username if decision.assigned_to else None,
                "outcome": decision.outcome, "reason": decision.reason,
            })
        ranking = selectors.rank_candidates(organization=organization, item=item)
    except services.RoutingConflict as conflict:
        return Status(409, {"detail": conflict.message})
    return Status(200, {"candidates": ranking.as_json()})
