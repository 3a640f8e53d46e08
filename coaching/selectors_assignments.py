"""Reads for coaching from quality: who reaches which agents, marks, groups and coaching
assignments; the rows of the supervisors' list (an individual assignment, or a dispatched
group as one row) and the agent's own assignments.

Supervisors (org admins, QA analysts) reach every agent; coaches the agents they coach.
An agent reaches only their own assignments, and nothing here that an agent's page reads
mentions groups.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from quality.models import Attribute, Evaluation
from tenancy.enums import Role
from tenancy.models import Membership, Organization, User
from tenancy.selectors import coachable_agents, sees_everything

from .models import (
    AssignmentArea,
    AssignmentExample,
    AssignmentInteraction,
    AssignmentStatus,
    CoachingAssignment,
    CoachingGroup,
    CoachingGroupAgent,
    CoachingMark,
    MarkState,
)

# Tags shown before the "+N" overflow badge.
AREA_TAGS_SHOWN = 2


def sees_all_agents(organization: Organization, user: User) -> bool:
    return sees_everything(organization, user, Role.QA_ANALYST)


def reachable(organization: Organization, user: User, *, field_name: str = "agent") -> Q:
    """Rows whose ``field_name`` is an agent the user may coach (everyone's for org admins
    and QA analysts, members only)."""
    members = Membership.objects.filter(organization=organization).values("user_id")
    if sees_all_agents(organization, user):
        return Q(**{f"{field_name}__in": members})
    return Q(**{f"{field_name}__in": coachable_agents(organization, user)})


def available_areas(organization: Organization) -> list[tuple[str, str]]:
    """The coaching areas (attribute key, name) of the tenant's current scorecards."""
    rows = (Attribute.objects.filter(organization=organization, scorecard__is_current=True)
            .order_by("name", "key").values_list("key", "name"))
    seen: dict[str, str] = {}
    for key, name in rows:
        seen.setdefault(key, name)
    return sorted(seen.items(), key=lambda kv: kv[1].lower())


def area_tags(names: list[str]) -> tuple[list[str], int]:
    """The area names shown as tags and how many more there are (the "+N" badge)."""
    return names[:AREA_TAGS_SHOWN], max(0, len(names) - AREA_TAGS_SHOWN)


# --- marks and groups ----------------------------------------------------------------


def active_marks(organization: Organization, user: User) -> QuerySet[CoachingMark]:
    return (CoachingMark.objects.filter(organization=organization, state=MarkState.ACTIVE)
            .filter(reachable(organization, user)).select_related("agent", "interaction"))


@dataclass
class Candidate:
    """An agent of the Individuals tab: their ungrouped marks."""

    agent: User
    marks: list[CoachingMark] = field(default_factory=list)

    @property
    def area_names(self) -> list[str]:
        return sorted({m.attribute_name for m in self.marks}, key=str.lower)

    @property
    def tags(self):
        return area_tags(self.area_names)

    @property
    def conversations(self) -> int:
        return len({m.interaction_id for m in self.marks})


def individual_candidates(organization: Organization, user: User) -> list[Candidate]:
    """Agents marked and neither grouped nor assigned yet, by name (one query)."""
    by_agent: dict[int, Candidate] = {}
    for mark in active_marks(organization, user).filter(group__isnull=True).order_by(
            "agent__first_name", "agent__last_name", "agent__username", "created_at", "id"):
        by_agent.setdefault(mark.agent_id, Candidate(agent=mark.agent)).marks.append(mark)
    return list(by_agent.values())


def visible_groups(organization: Organization, user: User) -> QuerySet[CoachingGroup]:
    """Groups a user works with: all for org admins and QA analysts, their own for coaches."""
    qs = CoachingGroup.objects.filter(organization=organization)
    if sees_all_agents(organization, user):
        return qs
    return qs.filter(created_by=user)


def pending_groups(organization: Organization, user: User) -> QuerySet[CoachingGroup]:
    """Groups not yet sent, with their agents and the count of marked conversations."""
    return (visible_groups(organization, user).filter(sent_at__isnull=True)
            .annotate(conversations=Count(
                "marks__interaction", filter=Q(marks__state=MarkState.ACTIVE), distinct=True))
            .prefetch_related(
                Prefetch("members", queryset=CoachingGroupAgent.objects.select_related("agent")),
                Prefetch("marks", queryset=CoachingMark.objects.filter(state=MarkState.ACTIVE)
                         .only("id", "group_id", "attribute_key", "attribute_name"),
                         to_attr="waiting_marks"))
            .order_by("name", "id"))


def group_area_names(group: CoachingGroup) -> list[str]:
    """A pending group's coaching areas: its shared areas, else those its agents were
    marked for (what each agent's assignment will hold). Reads ``waiting_marks`` when
    :func:`pending_groups` prefetched them."""
    if group.areas:
        return [a["name"] for a in group.areas]
    marks = getattr(group, "waiting_marks", None)
    if marks is None:
        marks = group.marks.filter(state=MarkState.ACTIVE)
    return sorted({m.attribute_name for m in marks}, key=str.lower)


def group_name_taken(organization: Organization, name: str, *, exclude_pk=None) -> bool:
    qs = CoachingGroup.objects.filter(organization=organization, sent_at__isnull=True,
                                      name__iexact=name.strip())
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def markable_evaluation(organization: Organization, user: User, pk: int) -> Evaluation:
    """An evaluation the user may mark or assign from (DoesNotExist otherwise)."""
    from quality.selectors import visible_evaluations

    return (visible_evaluations(organization, user).filter(reachable(organization, user))
            .select_related("scorecard").prefetch_related("scorecard__attributes").get(pk=pk))


# --- assignments ---------------------------------------------------------------------


def supervised_assignments(organization: Organization, user: User) -> QuerySet:
    """Assignments a supervisor may see: all for org admins and QA analysts; for coaches
    those of the agents they coach and those they assigned."""
    qs = CoachingAssignment.objects.filter(organization=organization)
    if sees_all_agents(organization, user):
        return qs
    return qs.filter(reachable(organization, user) | Q(assigner=user))


def own_assignments(organization: Organization, user: User) -> QuerySet:
    """The agent's own assignments (no group anywhere), newest first."""
    return (CoachingAssignment.objects.filter(organization=organization, agent=user)
            .prefetch_related("areas").order_by("-assigned_date", "-id"))


def assignment_detail(queryset: QuerySet, pk: int) -> CoachingAssignment:
    return (queryset.select_related("agent", "assigner")
            .prefetch_related(
                "areas",
                Prefetch("interaction_links", queryset=AssignmentInteraction.objects
                         .select_related("interaction", "evaluation").order_by("id")),
                Prefetch("example_links", queryset=AssignmentExample.objects
                         .select_related("best_response__interaction").order_by("id")),
            ).get(pk=pk))


def status_of(statuses: list[str]) -> str:
    """A dispatched group's status from its assignments'."""
    if statuses and all(s == AssignmentStatus.COMPLETED for s in statuses):
        return AssignmentStatus.COMPLETED
    if any(s != AssignmentStatus.NOT_STARTED for s in statuses):
        return AssignmentStatus.IN_PROGRESS
    return AssignmentStatus.NOT_STARTED


@dataclass
class ListRow:
    """A row of the supervisors' list: one individual assignment or one dispatched group."""

    name: str
    origin: str  # "individual" or "group"
    assigned_date: date
    follow_up_date: date
    assignments: list[CoachingAssignment]
    group_id: int | None = None

    @property
    def pk(self) -> int:
        return self.group_id or self.assignments[0].pk

    @property
    def status(self) -> str:
        return status_of([a.status for a in self.assignments])

    @property
    def status_label(self) -> str:
        return AssignmentStatus(self.status).label

    @property
    def review_status(self) -> str:
        """The row's review status (:func:`with_review_status`): pending supervisor
        review wins over pending agent review, across the row's assignments."""
        states = {getattr(a, "review_status", "") for a in self.assignments}
        return next((s for s in REVIEW_STATUSES if s in states), "")

    @property
    def area_names(self) -> list[str]:
        names: dict[str, str] = {}
        for a in self.assignments:
            for area in a.areas.all():
                names.setdefault(area.attribute_key, area.attribute_name)
        return list(names.values())

    @property
    def area_keys(self) -> set[str]:
        return {area.attribute_key for a in self.assignments for area in a.areas.all()}

    @property
    def tags(self):
        return area_tags(self.area_names)


@dataclass
class ListFilters:
    origin: str = ""  # "", "individual", "group"
    statuses: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


def assignment_rows(organization: Organization, user: User,
                    filters: ListFilters | None = None) -> list[ListRow]:
    """The supervisors' list (two queries whatever the size): individual assignments one
    row each, a dispatched group's assignments gathered into one row; filtered by origin,
    statuses (of the row) and areas (any of them)."""
    filters = filters or ListFilters()
    qs = (with_review_status(supervised_assignments(organization, user), organization)
          .select_related("origin_group").prefetch_related("areas")
          .order_by("-assigned_date", "-id"))
    if filters.origin == "individual":
        qs = qs.filter(origin_group__isnull=True)
    elif filters.origin == "group":
        qs = qs.filter(origin_group__isnull=False)
    if filters.areas:
        qs = qs.filter(pk__in=AssignmentArea.objects.filter(
            organization=organization, attribute_key__in=filters.areas).values("assignment_id"))
    rows: list[ListRow] = []
    groups: dict[int, ListRow] = {}
    for a in qs:
        if a.origin_group_id:
            row = groups.get(a.origin_group_id)
            if row is None:
                row = groups[a.origin_group_id] = ListRow(
                    name=a.origin_group.name, origin="group", assigned_date=a.assigned_date,
                    follow_up_date=a.follow_up_date, assignments=[], group_id=a.origin_group_id)
                rows.append(row)
            row.assignments.append(a)
        else:
            rows.append(ListRow(name=a.name, origin="individual", assigned_date=a.assigned_date,
                                follow_up_date=a.follow_up_date, assignments=[a]))
    if filters.statuses:
        rows = [r for r in rows if r.status in filters.statuses]
    return rows


def agents_in_coaching(organization: Organization, user: User) -> dict:
    """The QA dashboard's "Agents in coaching": each agent once, however many assignments
    (individual or from groups) they have; and how many of them are still in coaching."""
    qs = supervised_assignments(organization, user)
    return qs.aggregate(
        agents=Count("agent", distinct=True),
        open=Count("agent", distinct=True, filter=~Q(status=AssignmentStatus.COMPLETED)),
    )


def evaluation_scores(interaction_ids: list[int], *,
                      released_only: bool = False) -> dict[int, dict]:
    """Per interaction: the automatic score, the latest counted audit's score, the
    customer's sentiment, and the ids of the evaluations read (one query). For an agent
    (``released_only``) only evaluations released to them count: a submitted audit still
    waiting for its release shows nothing yet."""
    from quality.enums import COUNTED_STATES, EvaluationKind, EvaluationState

    out: dict[int, dict] = {i: {"auto": None, "audit": None, "sentiment": None, "ids": set()}
                            for i in interaction_ids}
    states = [EvaluationState.RELEASED] if released_only else list(COUNTED_STATES)
    rows = (Evaluation.objects.filter(interaction_id__in=interaction_ids,
                                      kind__in=[EvaluationKind.AUTO, EvaluationKind.MANUAL],
                                      state__in=states)
            .order_by("interaction_id", "submitted_at", "id")
            .values_list("interaction_id", "id", "kind", "total", "sentiment"))
    for interaction_id, evaluation_id, kind, total, sentiment in rows:
        slot = out[interaction_id]
        slot["auto" if kind == EvaluationKind.AUTO else "audit"] = total
        slot["ids"].add(evaluation_id)
        if sentiment is not None:
            slot["sentiment"] = sentiment
    return out


# --- review status from the agent's accept & dispute (quality) ---------------------------

# Most urgent first: a dispute waiting for QA wins over an audit waiting for the agent.
REVIEW_STATUSES = ("pending_supervisor", "pending_agent")
REVIEW_STATUS_LABELS = {"pending_supervisor": "Pending supervisor review",
                        "pending_agent": "Pending agent review"}


def with_review_status(queryset: QuerySet, organization: Organization) -> QuerySet:
    """Annotate each assignment with ``review_status``: ``"pending_supervisor"`` while a
    linked interaction has a manual evaluation of the assignment's agent whose dispute waits
    for QA, else ``"pending_agent"`` while one waits for the agent to accept or dispute,
    else ``""`` — always ``""`` when the tenant has "Agent accept & dispute" off. Read-time
    only (two EXISTS subqueries): the stored status is untouched."""
    from quality.enums import AWAITING_AGENT, EvaluationKind, ReviewState
    from quality.selectors import quality_settings

    if not quality_settings(organization).disputes.enabled:
        return queryset.annotate(review_status=Value("", output_field=CharField()))
    linked = AssignmentInteraction.objects.filter(
        organization=organization, assignment_id=OuterRef(OuterRef("pk"))
    ).values("interaction_id")

    def waiting(states) -> Exists:
        return Exists(Evaluation.objects.filter(
            organization=organization, kind=EvaluationKind.MANUAL,
            agent_id=OuterRef("agent_id"), review_state__in=states,
            interaction_id__in=linked))

    return queryset.annotate(review_status=Case(
        When(waiting([ReviewState.PENDING_SUPERVISOR]),
             then=Value(ReviewState.PENDING_SUPERVISOR.value)),
        When(waiting(list(AWAITING_AGENT)), then=Value(ReviewState.PENDING_AGENT.value)),
        default=Value(""), output_field=CharField(),
    ))
