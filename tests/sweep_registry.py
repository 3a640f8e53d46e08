"""What the route sweep (tests/test_route_sweep.py) needs to know about each app.

The sweep gives tenant A one row of every ``TenantModel``, all with the same primary key
:data:`SWEEP_PK` (tenant A's user and organization get it too), then fills every integer
URL parameter with that key and every text parameter with a value read from A's rows.
Whatever model a view looks up, the id is A's row and never one of tenant B's.

Most models are built without help: each required field gets a plain value of its type,
a foreign key to another tenant model points at that model's sweep row, a user foreign
key at A's user. When that is not enough (a field type the sweep does not know, a
required self-reference, a check constraint), an app adds **one line** at the bottom:

    register("skills.Skill", lambda ctx: SkillFactory(pk=ctx.pk, organization=ctx.org))

``ctx`` is a :class:`SweepContext`: ``ctx.pk`` (use it as the primary key), ``ctx.org``,
``ctx.user`` (a member of A with every role) and ``ctx.row("app.Model")`` (the sweep row
of a model this one depends on through a foreign key; those are built first).

A text URL parameter (``<slug:…>``, ``<str:…>``, ``<uuid:…>``) is filled from the field
of the same name on one of A's rows (``<slug:skill_slug>`` also looks for ``slug`` on the
``Skill`` row). When no field matches, one line names the value:

    param("token", lambda ctx: ctx.row("tenancy.ApiToken").key_prefix)
    param("action", lambda ctx: "start", view="coaching:action")

A view that answers 404 to tenant A's own member on A's own address for a good reason
(the sweep checks that its ids reach real rows) is listed with ``owner_not_found``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

# The primary key of every sweep row of tenant A; far above any sequence a test reaches.
SWEEP_PK = 900_000_001


@dataclass
class SweepContext:
    org: models.Model
    user: models.Model
    pk: int = SWEEP_PK
    rows: dict[type[models.Model], models.Model] = field(default_factory=dict)

    def row(self, label: str) -> models.Model:
        return self.rows[apps.get_model(label)]


FACTORIES: dict[str, Callable[[SweepContext], models.Model]] = {}
PARAMS: dict[tuple[str | None, str], Callable[[SweepContext], object]] = {}
OWNER_NOT_FOUND: dict[str, str] = {}


def register(label: str, factory: Callable[[SweepContext], models.Model]) -> None:
    """Build the sweep row of ``label`` ("app.Model") with ``factory(ctx)``."""
    FACTORIES[label.lower()] = factory


def param(name: str, value: Callable[[SweepContext], object], *, view: str | None = None) -> None:
    """Fill URL parameters called ``name`` with ``value(ctx)``: in every route, or only in
    ``view`` ("app:name") when given (a route's own value wins)."""
    PARAMS[(view, name)] = value


def param_value(view: str, name: str) -> Callable[[SweepContext], object] | None:
    return PARAMS.get((view, name)) or PARAMS.get((None, name))


def owner_not_found(view_name: str, reason: str) -> None:
    """``view_name`` ("app:name") may answer 404 to tenant A's member, for ``reason``."""
    OWNER_NOT_FOUND[view_name] = reason


def _membership(ctx: SweepContext):
    from tenancy.enums import Role
    from tenancy.models import Membership

    membership = Membership(pk=ctx.pk, organization=ctx.org, user=ctx.user)
    membership.set_roles(list(Role))
    membership.save()
    return membership


# tenancy: A's user holds every role through the sweep's Membership row.
register("tenancy.Membership", _membership)

# Later apps: one line each, below.
param("direction", lambda ctx: "up", view="skills:level_move")
param("decision", lambda ctx: "approve", view="skills:review_decide")
param("decision", lambda ctx: "approve", view="skills:recommendation_decide")
param("action", lambda ctx: "start", view="coaching:action")
param("kind", lambda ctx: "interaction", view="coaching:assignment_review")
owner_not_found("coaching:assign_from_marks",
                "the sweep's mark waits in the sweep group, so the agent is no individual")
owner_not_found("quality:interaction",
                "the sweep's work item is an incident (the first kind), not an interaction")
owner_not_found("quality:audit",
                "the sweep's evaluation is automatic (the first kind), not an audit")
owner_not_found("coaching:plan_advice",
                "it needs ?agent= and ?attribute= (an agent to plan for and a behaviour of a "
                "current scorecard); the sweep sends neither")
owner_not_found("coaching:agent_sessions",
                "the sweep's only user id is the member's own, and nobody plans for themselves")


def _calibration_reference(ctx: SweepContext):
    """A final answer has a value or is N/A (a check constraint)."""
    from quality.models import CalibrationReference

    return CalibrationReference.objects.create(
        pk=ctx.pk, organization=ctx.org, item=ctx.row("quality.CalibrationItem"),
        attribute=ctx.row("quality.Attribute"), value=1)


register("quality.CalibrationReference", _calibration_reference)
param("position", lambda ctx: ctx.row("quality.CalibrationItem").position,
      view="quality:calibration_score")
