"""HTTP API for behaviour coaching plans (issue 18): ``GET/POST /api/v1/coaching-plans``.

Mounted by :mod:`config.api` (token auth, tenant scope). An organization token lists every
plan and creates (and by default sends) plans on behalf of a manager; a personal token
lists its person's own sent plans only and may not create any.
"""

from datetime import date, datetime
from typing import Literal

from django.db import transaction
from ninja import Field, Query, Router, Schema, Status

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.api_types import Body, errors, personal_tokens_allowed, text
from tenancy.models import Membership, User

from .models import CoachingPlan, PlanExample, PlanStatus

plans_router = Router()

PlanStatusValue = Literal[tuple(PlanStatus.values)]
PAGE_SIZE = 100
NOT_FOUND = "No such agent or manager in your organization, or the manager may not coach them."


class PlanExampleOut(Schema):
    interaction: str = Field(description="The interaction's external_id.")
    interaction_id: int
    kind: Literal["weak", "best"]


class CoachingPlanOut(Schema):
    id: int
    agent: str = Field(description="Username of the agent.")
    manager: str | None = Field(description="Username of who created it.")
    attribute: str = Field(description="The behaviour: the scorecard attribute's key.")
    attribute_name: str
    advice: str
    target_percent: int = Field(description="The target score 0–100.")
    start_date: date | None = Field(description="The day it was sent; null for a draft.")
    target_date: date
    status: PlanStatusValue
    status_label: str
    outcome_note: str = Field(description="Why Action required (or what was reached).")
    outcome_score: float | None = Field(description="The behaviour's score over the period.")
    outcome_n: int = Field(description="The answers the outcome score is made of.")
    opened_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    examples: list[PlanExampleOut]


class CoachingPlanPage(Schema):
    items: list[CoachingPlanOut]


class CoachingPlanFilters(Schema):
    status: list[PlanStatusValue] = Field(default_factory=list)
    agent: text(150) | None = Field(None, description="Username of the agent.")
    attribute: text(100) | None = Field(None, description="The behaviour's attribute key.")
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


Username = text(150, min_length=1)


class CoachingPlanIn(Body):
    manager: Username = Field(description="Username of the coach or org admin it is from.")
    agent: Username
    attribute: text(100, min_length=1)
    advice: text(4000) = Field(
        "", description="Empty: the generated advice (its first variant) is used.")
    target_percent: int = Field(description="0–100; outside is a 422.")
    target_date: date = Field(description="Today or later in the tenant's time zone.")
    example_interactions: list[int] = Field(
        default_factory=list, max_length=10,
        description="Interaction ids: the agent's own, or best responses for the behaviour.")
    send: bool = Field(True, description="E-mail the agent at once (else it stays a draft).")


def _out(plan: CoachingPlan) -> dict:
    return {
        "id": plan.pk, "agent": plan.agent.username,
        "manager": plan.manager.username if plan.manager else None,
        "attribute": plan.attribute_key, "attribute_name": plan.attribute_name,
        "advice": plan.advice, "target_percent": plan.target_percent,
        "start_date": plan.start_date, "target_date": plan.target_date, "status": plan.status,
        "status_label": plan.get_status_display(), "outcome_note": plan.outcome_note,
        "outcome_score": plan.outcome_score, "outcome_n": plan.outcome_n,
        "opened_at": plan.opened_at, "sent_at": plan.sent_at, "created_at": plan.created_at,
        "examples": [{"interaction": e.interaction.external_id,
                      "interaction_id": e.interaction_id, "kind": e.kind}
                     for e in plan.examples.all()],
    }


def _plans(organization, auth=None):
    from django.db.models import Prefetch

    qs = CoachingPlan.objects.filter(organization=organization, deleted_at__isnull=True)
    if auth is not None and auth.is_personal:
        qs = qs.filter(agent=auth.user).exclude(status=PlanStatus.DRAFT)
    return qs.select_related("agent", "manager").prefetch_related(
        Prefetch("examples", queryset=PlanExample.objects.select_related("interaction")))


@plans_router.get("", response={200: CoachingPlanPage, **errors()},
                  summary="List coaching plans (newest first)")
@personal_tokens_allowed
def list_coaching_plans(request, filters: Query[CoachingPlanFilters]):
    """Filter by statuses, agent and behaviour. Deleted plans are never listed.

    Personal tokens allowed: they list their person's own plans once sent (no drafts)."""
    qs = _plans(request.auth.organization, request.auth)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.agent:
        qs = qs.filter(agent__username=filters.agent)
    if filters.attribute:
        qs = qs.filter(attribute_key=filters.attribute)
    rows = list(qs.order_by("-created_at", "-id")[: filters.limit])
    if filters.agent and rows:  # one agent's plans: logged once per list read
        record_access(request, subject=rows[0].agent_id, kind=AccessKind.PLAN,
                      label="Coaching plans (API list)")
    return Status(200, {"items": [_out(p) for p in rows]})


def _member(organization, username: str) -> User | None:
    return User.objects.filter(
        username=username,
        pk__in=Membership.objects.filter(organization=organization).values("user_id"),
    ).first()


@plans_router.post("", response={201: CoachingPlanOut, **errors(403, 404)},
                   summary="Create a coaching plan (and send it)")
def create_coaching_plan(request, payload: CoachingPlanIn):
    """A plan from ``manager`` for ``agent`` on one behaviour with a target % and date; sent
    (the agent is e-mailed a direct link) unless ``send`` is false. An unknown agent or
    manager, or an agent the manager may not coach, is a 404; a target outside 0–100, a
    target date in the past or an unknown behaviour is a 422 naming the field; nothing is
    written then. Organization tokens only (a personal token gets 403)."""
    from .advice import compose_advice
    from .services.plans import PlanError, check_may_plan_for, create_plan, send_plan

    organization = request.auth.organization
    manager = _member(organization, payload.manager)
    agent = _member(organization, payload.agent)
    if manager is not None:
        try:
            check_may_plan_for(organization=organization, manager=manager, agent=agent)
        except PlanError:
            manager = None
    if manager is None or agent is None:
        return Status(404, {"detail": NOT_FOUND})
    advice, variant = payload.advice.strip(), ""
    if not advice:
        generated = compose_advice(organization, agent, payload.attribute)
        advice, variant = generated.text, generated.variant_key
    with transaction.atomic():
        plan = create_plan(organization=organization, manager=manager, agent=agent,
                           attribute_key=payload.attribute, advice=advice,
                           target_percent=payload.target_percent,
                           target_date=payload.target_date,
                           example_ids=payload.example_interactions, advice_variant=variant)
        if payload.send:
            send_plan(plan=plan, actor=manager)
    return Status(201, _out(_plans(organization).get(pk=plan.pk)))
