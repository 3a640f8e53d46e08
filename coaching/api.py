"""HTTP API for coaching assessments: list with filters and a cursor, read one.

Mounted at ``/api/v1/assessments`` by :mod:`config.api` (token auth, tenant scope).
"""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.api_paging import BadCursor, newest_first_page
from tenancy.api_types import Cursor, Id, errors, personal_tokens_allowed, text

from . import selectors
from .enums import AssessmentState

router = Router()

State = Literal[tuple(AssessmentState.values)]
PAGE_SIZE = 100


class AssessmentOut(Schema):
    id: int
    state: str
    trainee: str
    coach: str | None
    opportunity: str | None
    work_item: str | None = Field(description="The work item's external_id.")
    origin: str
    rating: int | None
    follow_up: bool
    due_date: date
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    learning_task_ids: list[int] = Field(
        description="The learning tasks its completion assigned (GET /api/v1/learning-tasks)."
    )
    survey_response_ids: list[int] = Field(
        description="The surveys sent for it (GET /api/v1/survey-responses)."
    )


class AssessmentPage(Schema):
    items: list[AssessmentOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at end.")


class AssessmentFilters(Schema):
    state: State | None = None
    trainee: text(150) | None = Field(None, description="Username of the trainee.")
    opportunity: text(150) | None = Field(None, description="Name of the opportunity.")
    cursor: Cursor | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


def _out(a) -> dict:
    return {
        "id": a.pk, "state": a.state, "trainee": a.trainee.username,
        "coach": a.coach.username if a.coach else None,
        "opportunity": a.opportunity.name if a.opportunity else None,
        "work_item": a.work_item.external_id if a.work_item else None,
        "origin": a.origin, "rating": a.rating, "follow_up": a.follow_up,
        "due_date": a.due_date, "created_at": a.created_at, "updated_at": a.updated_at,
        "closed_at": a.closed_at,
        "learning_task_ids": [link.task_id for link in a.learning_task_links.all()],
        "survey_response_ids": [link.response_id for link in a.survey_links.all()],
    }


@router.get("", response={200: AssessmentPage, **errors(400)},
            summary="List assessments (newest first)")
def list_assessments(request, filters: Query[AssessmentFilters]):
    """Filter by state, trainee username and opportunity name; page with ``next_cursor``."""
    qs = selectors.assessment_api_list(organization=request.auth.organization)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.trainee:
        qs = qs.filter(trainee__username=filters.trainee)
    if filters.opportunity:
        qs = qs.filter(opportunity__name__iexact=filters.opportunity)
    try:
        rows, next_cursor = newest_first_page(qs, filters.cursor, filters.limit)
    except BadCursor as refused:
        return Status(400, {"detail": str(refused)})
    return Status(200, {"items": [_out(a) for a in rows], "next_cursor": next_cursor})


@router.get("/{assessment_id}", response={200: AssessmentOut, **errors(404)},
            summary="Read one assessment")
def get_assessment(request, assessment_id: Id):
    row = selectors.assessment_api_list(organization=request.auth.organization).filter(
        pk=assessment_id
    ).first()
    if row is None:
        return Status(404, {"detail": "No assessment with this id in your organization."})
    record_access(request, subject=row.trainee_id, kind=AccessKind.ASSESSMENT, obj=row,
                  label=f"Assessment #{row.pk}")
    return Status(200, _out(row))


# --- coaching assignments (issue 15): GET /api/v1/coaching-assignments ------------------
# A tenant token reads every assignment of its organization; a personal token only its
# person's own (what the agent sees under My coaching assignments). The origin group is never
# serialized (agents must not learn a group existed); ``origin`` says individual or group
# only as a filter for supervisors' integrations.

assignments_router = Router()
AssignmentStatusValue = Literal["not_started", "in_progress", "completed"]


class AssignmentItemOut(Schema):
    id: int
    interaction: str = Field(description="The work item's external_id.")
    area_names: str
    reviewed_at: datetime | None


class AssignmentExampleOut(Schema):
    id: int
    interaction: str
    area: str
    reviewed_at: datetime | None


class CoachingAssignmentOut(Schema):
    id: int
    name: str
    agent: str
    assigner: str | None
    status: str
    review_status: Literal["", "pending_agent", "pending_supervisor"] = Field(
        description="With Agent accept & dispute on: pending_supervisor while a linked "
                    "audit's dispute waits for QA, pending_agent while one waits for the "
                    "agent to accept or dispute; empty otherwise (status is unchanged).")
    areas: list[str] = Field(description="Attribute keys of the coaching areas.")
    assigned_date: date
    follow_up_date: date
    strengths: str
    improvements: str
    action_plan: list[str]
    interactions: list[AssignmentItemOut]
    examples: list[AssignmentExampleOut]


class CoachingAssignmentPage(Schema):
    items: list[CoachingAssignmentOut]


class CoachingAssignmentFilters(Schema):
    origin: Literal["individual", "group"] | None = None
    status: list[AssignmentStatusValue] = Field(default_factory=list)
    area: list[text(100)] = Field(default_factory=list, description="Attribute keys (any).")
    agent: text(150) | None = Field(None, description="Username of the agent.")
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


def _assignment_out(a) -> dict:
    return {
        "id": a.pk, "name": a.name, "agent": a.agent.username,
        "assigner": a.assigner.username if a.assigner else None, "status": a.status,
        "review_status": getattr(a, "review_status", ""),
        "areas": [area.attribute_key for area in a.areas.all()],
        "assigned_date": a.assigned_date, "follow_up_date": a.follow_up_date,
        "strengths": a.strengths, "improvements": a.improvements,
        "action_plan": list(a.action_plan or []),
        "interactions": [{"id": link.pk, "interaction": link.interaction.external_id,
                          "area_names": link.area_names, "reviewed_at": link.reviewed_at}
                         for link in a.interaction_links.all()],
        "examples": [{"id": ex.pk, "interaction": ex.best_response.interaction.external_id,
                      "area": ex.best_response.attribute_key, "reviewed_at": ex.reviewed_at}
                     for ex in a.example_links.all()],
    }


def _assignments_qs(organization, auth=None):
    from django.db.models import Prefetch

    from .models import AssignmentExample, AssignmentInteraction, CoachingAssignment
    from .selectors_assignments import with_review_status

    mine = {"agent": auth.user} if auth is not None and auth.is_personal else {}
    assignments = with_review_status(
        CoachingAssignment.objects.filter(organization=organization, **mine), organization)
    return (assignments.select_related("agent", "assigner")
            .prefetch_related(
                "areas",
                Prefetch("interaction_links",
                         queryset=AssignmentInteraction.objects.select_related("interaction")),
                Prefetch("example_links", queryset=AssignmentExample.objects.select_related(
                    "best_response__interaction"))))


@assignments_router.get("", response={200: CoachingAssignmentPage, **errors()},
                        summary="List coaching assignments (newest first)")
@personal_tokens_allowed
def list_coaching_assignments(request, filters: Query[CoachingAssignmentFilters]):
    """Filter by origin (individual / group), statuses, areas (any) and agent.

    Personal tokens allowed: they list their person's own assignments only."""
    from .models import AssignmentArea

    qs = _assignments_qs(request.auth.organization, request.auth)
    if filters.origin == "individual":
        qs = qs.filter(origin_group__isnull=True)
    elif filters.origin == "group":
        qs = qs.filter(origin_group__isnull=False)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.area:
        qs = qs.filter(pk__in=AssignmentArea.objects.filter(
            attribute_key__in=filters.area).values("assignment_id"))
    if filters.agent:
        qs = qs.filter(agent__username=filters.agent)
    rows = list(qs.order_by("-id")[: filters.limit])
    return Status(200, {"items": [_assignment_out(a) for a in rows]})


@assignments_router.get("/{assignment_id}", response={200: CoachingAssignmentOut, **errors(404)},
                        summary="Read one coaching assignment")
@personal_tokens_allowed
def get_coaching_assignment(request, assignment_id: Id):
    """Personal tokens allowed: only their person's own assignment (404 otherwise)."""
    row = _assignments_qs(request.auth.organization, request.auth).filter(
        pk=assignment_id).first()
    if row is None:
        return Status(404, {"detail": "No coaching assignment with this id in your "
                                      "organization."})
    record_access(request, subject=row.agent_id, kind=AccessKind.ASSIGNMENT, obj=row,
                  label=row.name)
    return Status(200, _assignment_out(row))


# --- coaching monitor (issue 17): GET /api/v1/coaching-assignments/{id}/progress --------


class MeanOut(Schema):
    value: float | None = Field(description="Mean score 0–100; null without scores.")
    n: int = Field(description="How many scores the mean is made of.")


class EffectOut(Schema):
    verdict: Literal["improved", "no measurable change", "got worse",
                     "too little data to tell"]
    estimate: float | None = Field(description="Difference-in-differences, points 0–100.")
    low: float | None = Field(description="Bootstrap 95 % interval, lower end.")
    high: float | None
    coached_before: float | None
    coached_after: float | None
    comparison_before: float | None
    comparison_after: float | None
    comparison_agents: int = Field(description="Uncoached team mates of a similar level.")
    coached_n: list[int] = Field(description="Scores of the coached agent: before, after.")
    comparison_n: list[int] = Field(description="Scores of the comparison group: before, after.")


class AreaProgressOut(Schema):
    attribute: str = Field(description="The coached attribute's key.")
    name: str
    at_assigned_date: MeanOut = Field(description="The 7 days before the assigned date.")
    current: MeanOut = Field(description="The last 7 days.")
    direction: Literal["spike", "dip", "flat", ""] = Field(
        description="Current against the assigned date; empty when one has no score.")
    effect: EffectOut


class ProgressOut(Schema):
    id: int
    agent: str
    assigned_date: date
    follow_up_date: date
    scorecard_score: list[MeanOut] = Field(
        description="The audits' mean total: at the assigned date, current.")
    automatic_score: list[MeanOut] = Field(
        description="The verified-only automatic score: at the assigned date, current.")
    areas: list[AreaProgressOut]
    effect: EffectOut = Field(description="On the coached attributes together.")


def _effect_out(effect) -> dict:
    return {"verdict": effect.verdict, "estimate": effect.estimate, "low": effect.low,
            "high": effect.high, "coached_before": effect.coached_before,
            "coached_after": effect.coached_after,
            "comparison_before": effect.comparison_before,
            "comparison_after": effect.comparison_after,
            "comparison_agents": effect.comparison_agents,
            "coached_n": list(effect.coached_n), "comparison_n": list(effect.comparison_n)}


def _mean_out(mean) -> dict:
    return {"value": mean.value, "n": mean.n}


@assignments_router.get("/{assignment_id}/progress",
                        response={200: ProgressOut, **errors(404)},
                        summary="One coaching assignment's progress and coaching effect")
def get_coaching_assignment_progress(request, assignment_id: Id):
    """Per coached attribute the mean over the 7 days before the assigned date and over
    the last 7 days with their n, and the coaching effect: a difference-in-differences
    against uncoached team mates of a similar level with a bootstrap 95 % interval."""
    from django.utils import timezone

    from .models import CoachingAssignment
    from .selectors_monitor import monitor_rows

    organization = request.auth.organization
    row = (CoachingAssignment.objects.filter(organization=organization, pk=assignment_id)
           .select_related("agent").prefetch_related("areas").first())
    if row is None:
        return Status(404, {"detail": "No coaching assignment with this id in your "
                                      "organization."})
    record_access(request, subject=row.agent_id, kind=AccessKind.ASSIGNMENT, obj=row,
                  label=f"Progress of {row.name}")
    progress = monitor_rows(organization, [row],
                            timezone.localdate(timezone=organization.tzinfo),
                            area_effects=True)[0]
    return Status(200, {
        "id": row.pk, "agent": row.agent.username, "assigned_date": row.assigned_date,
        "follow_up_date": row.follow_up_date,
        "scorecard_score": [_mean_out(progress.manual.before), _mean_out(progress.manual.now)],
        "automatic_score": [_mean_out(progress.auto.before), _mean_out(progress.auto.now)],
        "areas": [{"attribute": area.key, "name": area.name,
                   "at_assigned_date": _mean_out(area.change.before),
                   "current": _mean_out(area.change.now), "direction": area.change.direction,
                   "effect": _effect_out(area.effect)} for area in progress.areas],
        "effect": _effect_out(progress.effect),
    })


# --- behaviour coaching: an agent's behaviours -------------------------------------------

agents_router = Router()


class EstimateOut(Schema):
    value: float | None = Field(description="0–100; null without answers.")
    low: float | None = Field(description="95 % interval (Wilson for yes/no, t for scales).")
    high: float | None
    n: int
    enough: bool = Field(description="n reaches the tenant's minimum reviews.")


class BehaviourOut(Schema):
    attribute: str = Field(description="The scorecard attribute's stable key.")
    name: str
    weight: int
    score: EstimateOut
    failures: int
    frequency: EstimateOut = Field(description="Share (%) of the answers that failed.")
    impact: float = Field(description="Points the agent's weighted overall score would rise "
                                      "if this behaviour reached their teams' average.")


class AgentBehavioursOut(Schema):
    agent: str
    start: date
    end: date
    scorecard: str | None
    behaviours: list[BehaviourOut]


class BehaviourFilters(Schema):
    days: int = Field(30, ge=1, le=366, description="The period: the last ``days`` days.")


def _estimate_out(estimate) -> dict:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high,
            "n": estimate.n, "enough": estimate.enough}


@agents_router.get("/{username}/behaviours",
                   response={200: AgentBehavioursOut, **errors(403, 404)},
                   summary="An agent's score, failures and coaching impact per behaviour")
@personal_tokens_allowed
def get_agent_behaviours(request, username: text(150), filters: Query[BehaviourFilters]):
    """Per behaviour (scorecard attribute of the default scorecard) over the period: the
    score with its 95 % interval and n (automatic answers only of verified scorers, else
    audits), the failures and their share, and the impact: the points the agent's overall
    score would rise if the behaviour reached the average of their teams' agents.

    Personal tokens allowed: only their own person (403 for anyone else)."""
    from django.utils import timezone

    from tenancy.models import Membership, TeamMember, User

    from . import selectors_behaviours as sel

    organization, auth = request.auth.organization, request.auth
    membership = (Membership.objects.filter(organization=organization,
                                            user__username=username)
                  .select_related("user").first())
    if auth.is_personal and (membership is None or membership.user_id != auth.user_id):
        return Status(403, {"detail": "A personal token reads only its own person's "
                                      "behaviours."})
    if membership is None:
        return Status(404, {"detail": "No member with this username in your organization."})
    agent = membership.user
    record_access(request, subject=agent, kind=AccessKind.OVERVIEW, obj=agent,
                  label="Behaviours (API)")
    start, end = sel.period_of(timezone.localdate(timezone=organization.tzinfo),
                               filters.days)
    scoring = sel.scoring_of(organization)
    team_ids = TeamMember.objects.filter(organization=organization, user=agent).values(
        "team_id")
    team = list(User.objects.filter(pk__in=TeamMember.objects.filter(
        organization=organization, team_id__in=team_ids).values("user_id")))
    team = list({u.pk: u for u in [*team, agent]}.values())
    sums = sel.read_sums(organization, scoring, agents=[u.pk for u in team], start=start,
                         end=end)
    mine = sums.get(agent.pk, {})
    behaviours = []
    for attribute in scoring.attributes:
        own = mine.get(attribute.key, sel.Sums())
        everyone = sel.Sums()
        for parts in sums.values():
            part = parts.get(attribute.key)
            if part:
                everyone.add(part.n, part.total, part.total_sq, part.failures)
        frequency = sel.stats.scaled(sel.stats.wilson_interval(own.failures, own.n), n=own.n,
                                     minimum=scoring.minimum, factor=100, rate=True)
        behaviours.append({
            "attribute": attribute.key, "name": attribute.name, "weight": attribute.weight,
            "score": _estimate_out(sel.estimate_of(own, attribute, scoring.minimum)),
            "failures": own.failures, "frequency": _estimate_out(frequency),
            "impact": sel.impact_of(mine, attribute, everyone, scoring.attributes),
        })
    return Status(200, {"agent": agent.username, "start": start, "end": end,
                        "scorecard": scoring.key or None, "behaviours": behaviours})
