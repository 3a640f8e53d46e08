"""Read queries for assessments: who sees which, lists with their joins, the overview."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone

from learning.models import LearningTask
from surveys.models import SurveyResponse
from tenancy.models import Membership, Organization, TeamMember, User
from tenancy.selectors import coachable_agents, membership_for, sees_everything

from .enums import OPEN_STATES, AssessmentState
from .models import (
    AssessmentCourse,
    AssessmentLearningTask,
    AssessmentSkill,
    AssessmentSurvey,
    AssessmentTransition,
    CoachingAssessment,
)
from .selectors_backlog import on_time_by_team

# Open assessments nobody coaches yet (no coach was found when they opened): the backlog
# every coach and org admin sees and claims from.
UNASSIGNED = Q(coach__isnull=True, virtual_coach__isnull=True,
               state__in=[s.value for s in OPEN_STATES])


def _coached_by(organization: Organization, user: User) -> Q:
    """Assessments a coach works on: those they are the coach of, those of the agents
    they may coach, and the unassigned backlog (nothing without the coach role)."""
    membership = membership_for(user, organization)
    if membership is None or not membership.is_coach:
        return Q(pk__in=[])
    return (Q(coach=user) | Q(trainee_id__in=coachable_agents(organization, user))
            | UNASSIGNED & ~Q(trainee=user))


def visible_assessments(*, organization: Organization, user: User) -> QuerySet:
    """Assessments the user may open: all for org admins; for coaches theirs and their
    teams' agents'; for every member their own."""
    qs = CoachingAssessment.objects.filter(organization=organization)
    if membership_for(user, organization) is None:
        return qs.none()
    if sees_everything(organization, user):
        return qs
    return qs.filter(_coached_by(organization, user) | Q(trainee=user))


def managed_assessments(*, organization: Organization, user: User) -> QuerySet:
    """What the manager workspace lists: every assessment for org admins; for coaches
    theirs and their teams' (not their own as a trainee)."""
    qs = CoachingAssessment.objects.filter(organization=organization)
    if membership_for(user, organization) is None:
        return qs.none()
    if sees_everything(organization, user):
        return qs
    return qs.filter(_coached_by(organization, user))


@dataclass
class AssessmentFilters:
    state: str = ""
    # "mine" (I am the coach), "team" (my teams' agents), "backlog" (unassigned), "" (all)
    scope: str = ""
    trainee: str = ""  # username
    opportunity: int | None = None
    follow_up: bool = False


def assessment_list(*, organization: Organization, user: User,
                    filters: AssessmentFilters) -> QuerySet:
    qs = managed_assessments(organization=organization, user=user)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.scope == "mine":
        qs = qs.filter(coach=user)
    elif filters.scope == "team":
        qs = qs.filter(trainee_id__in=coachable_agents(organization, user))
    elif filters.scope == "backlog":
        qs = qs.filter(UNASSIGNED)
    if filters.trainee:
        qs = qs.filter(trainee__username=filters.trainee)
    if filters.opportunity:
        qs = qs.filter(opportunity_id=filters.opportunity)
    if filters.follow_up:
        qs = qs.filter(follow_up=True)
    return qs.select_related("trainee", "coach", "opportunity", "work_item").order_by(
        "-created_at", "-id"
    )


def own_assessments(*, organization: Organization, user: User) -> QuerySet:
    return (
        CoachingAssessment.objects.filter(organization=organization, trainee=user)
        .select_related("coach", "opportunity", "work_item", "virtual_coach")
        .prefetch_related(
            Prefetch("skills", queryset=AssessmentSkill.objects.select_related("skill", "level")),
            Prefetch("course_links", queryset=AssessmentCourse.objects.select_related("course")),
        )
        .order_by("-created_at", "-id")
    )


def assessment_detail(queryset: QuerySet, pk: int) -> CoachingAssessment:
    return (
        queryset.select_related("trainee", "coach", "opportunity", "work_item",
                                "virtual_coach", "created_by", "coach_survey", "trainee_survey")
        .prefetch_related(
            Prefetch("skills", queryset=AssessmentSkill.objects.select_related("skill", "level")),
            Prefetch("course_links", queryset=AssessmentCourse.objects.select_related("course")),
            Prefetch("transitions",
                     queryset=AssessmentTransition.objects.select_related("actor")),
        )
        .get(pk=pk)
    )


@dataclass
class SurveyLine:
    """One survey of an assessment as its page shows it."""

    role: str  # "coach" or "trainee"
    template: object
    respondent: User | None
    response: SurveyResponse | None
    note: str = ""
    # The trainee's answers are not for this viewer: no name, state or score is shown.
    withheld: bool = False


def assessment_learning_tasks(assessment: CoachingAssessment) -> list[LearningTask]:
    """The learning tasks this assessment created (one query)."""
    return list(
        LearningTask.objects.filter(
            organization_id=assessment.organization_id,
            pk__in=AssessmentLearningTask.objects.filter(assessment=assessment).values("task_id"),
        ).select_related("course_item", "assigned_to").order_by("due_date", "id")
    )


def task_origins(tasks) -> dict[int, str]:
    """Learning's ``task_origins``: "assessment #N" for the tasks an assessment assigned
    (one query)."""
    return {
        task_id: f"assessment #{assessment_id}"
        for task_id, assessment_id in AssessmentLearningTask.objects.filter(
            task_id__in=[t.pk for t in tasks]).values_list("task_id", "assessment_id")
    }


def match_links(request, matches) -> dict[int, str]:
    """Opportunities' ``match_links``: the page of the assessment a match opened (one
    query; the page itself answers 404 to whoever may not see it)."""
    return {
        match_id: reverse("coaching:detail",
                          kwargs={"org_slug": request.organization.slug, "pk": pk})
        for match_id, pk in CoachingAssessment.objects.filter(
            opportunity_match_id__in=[m.pk for m in matches]
        ).values_list("opportunity_match_id", "pk")
    }


def assessment_responses(assessment: CoachingAssessment) -> list[SurveyResponse]:
    """The surveys sent for this assessment, in the order they were sent (one query)."""
    return [
        link.response for link in
        AssessmentSurvey.objects.filter(assessment=assessment)
        .select_related("response__template", "response__respondent", "response__subject",
                        "response__organization")
        .order_by("response_id")
    ]


def assessment_surveys(assessment: CoachingAssessment, *, viewer: User) -> list[SurveyLine]:
    """The coach and trainee surveys of an assessment with their responses, if sent (one
    query). A virtual coach's assessment never sends the coach survey.

    The trainee's survey line is ``withheld`` from everyone but the trainee and, for a
    survey not sent anonymously, org admins (``surveys.view_trainee_response``): the coach
    sees trainee answers only as averages on the coach effectiveness page. Whether the
    trainee has answered is withheld too, so the averages cannot be traced to them."""
    responses = assessment_responses(assessment)
    lines = []
    for role, template, respondent in (
        ("coach", assessment.coach_survey, assessment.coach),
        ("trainee", assessment.trainee_survey, assessment.trainee),
    ):
        if template is None:
            continue
        response = next((r for r in responses if r.template_id == template.pk
                         and (respondent is None or r.respondent_id == respondent.pk)), None)
        note = ""
        if role == "coach" and assessment.virtual_coach_id:
            note = "Not sent: a virtual coach completed this assessment, so nobody answers it."
        elif role == "trainee" and assessment.virtual_coach_id:
            note = "About the automatic coaching (the virtual coach), not a person."
        elif role == "coach" and assessment.coach_id is None:
            note = "Not sent yet: the coach who takes this assessment from the backlog answers it."
        elif role == "trainee" and assessment.coach_id is None:
            note = "Not sent: the assessment has no coach for the agent to rate."
        withheld = role == "trainee" and response is not None and not viewer.has_perm(
            "surveys.view_trainee_response", response)
        lines.append(SurveyLine(role, template, respondent, response, note, withheld))
    return lines


def coachable_members(*, organization: Organization, user: User) -> QuerySet[User]:
    """Members the user may open an assessment for (``coaching.open_assessment_for``)."""
    members = User.objects.filter(memberships__organization=organization)
    if sees_everything(organization, user):
        return members.order_by("username")
    return (members.filter(pk__in=coachable_agents(organization, user)).exclude(pk=user.pk)
            .order_by("username"))


def assessment_api_list(*, organization: Organization) -> QuerySet:
    return (
        CoachingAssessment.objects.filter(organization=organization)
        .select_related("trainee", "coach", "opportunity", "work_item")
        .prefetch_related("learning_task_links", "survey_links")
    )


# --- the coaching overview -----------------------------------------------------------

STATE_COLOURS = {
    AssessmentState.OPEN: "#1d4e89",
    AssessmentState.IN_PROGRESS: "#3c8dbc",
    AssessmentState.RESOLVED: "#f5a623",
    AssessmentState.CLOSED_COMPLETE: "#2e8b57",
    AssessmentState.CLOSED_INCOMPLETE: "#a94442",
}
TREND_WEEKS = 12


@dataclass
class Overview:
    by_state: list[dict]
    by_opportunity: list[dict]
    team_ratings: list[dict]
    trend: list[dict]
    total: int
    open_count: int
    overdue: int
    average_rating: float | None
    on_time: list = field(default_factory=list)  # selectors_backlog.TeamOnTime per team


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def coaching_overview(*, organization: Organization, user: User) -> Overview:
    """The numbers of the coaching overview for what the user manages (and coaching on
    time per team, :func:`on_time_by_team`). Five queries plus those of on time,
    whatever the amount of data."""
    qs = managed_assessments(organization=organization, user=user)
    today = timezone.localdate(timezone=organization.tzinfo)
    since = timezone.now() - timedelta(days=30)

    state_counts = dict(qs.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    by_state = [
        {"state": value, "label": label, "count": state_counts.get(value, 0),
         "colour": STATE_COLOURS[value]}
        for value, label in AssessmentState.choices
    ]
    total = sum(row["count"] for row in by_state)

    by_opportunity = [
        {"name": row["opportunity__name"] or "Manual", "id": row["opportunity_id"],
         "count": row["n"]}
        for row in qs.values("opportunity_id", "opportunity__name").annotate(n=Count("id"))
        .order_by("-n", "opportunity__name")[:10]
    ]

    summary = qs.aggregate(
        overdue=Count("id", filter=Q(state__in=[AssessmentState.OPEN,
                                                AssessmentState.IN_PROGRESS,
                                                AssessmentState.RESOLVED],
                                     due_date__lt=today)),
        average=Avg("rating", filter=Q(created_at__gte=since)),
    )

    # Average rating of the last 30 days per team the trainee belongs to.
    team_rows = (
        TeamMember.objects.filter(organization=organization)
        .filter(user__assessments__in=qs.filter(created_at__gte=since))
        .values("team_id", "team__name")
        .annotate(
            average=Avg("user__assessments__rating"),
            rated=Count("user__assessments__rating"),
            count=Count("user__assessments"),
        )
        .order_by("team__name")
    )
    team_ratings = [
        {"team": row["team__name"], "average": row["average"], "rated": row["rated"],
         "count": row["count"]}
        for row in team_rows
    ]

    first_week = _week_start(today) - timedelta(weeks=TREND_WEEKS - 1)
    weekly = dict(
        qs.filter(created_at__date__gte=first_week)
        .annotate(week=TruncWeek("created_at", tzinfo=organization.tzinfo))
        .values_list("week").annotate(n=Count("id")).values_list("week", "n")
    )
    weekly = {(k.date() if hasattr(k, "date") else k): v for k, v in weekly.items()}
    trend = [
        {"week": first_week + timedelta(weeks=i),
         "count": weekly.get(first_week + timedelta(weeks=i), 0)}
        for i in range(TREND_WEEKS)
    ]
    return Overview(
        by_state=by_state, by_opportunity=by_opportunity, team_ratings=team_ratings,
        trend=trend, total=total,
        open_count=sum(r["count"] for r in by_state
                       if r["state"] not in (AssessmentState.CLOSED_COMPLETE,
                                             AssessmentState.CLOSED_INCOMPLETE)),
        overdue=summary["overdue"], average_rating=summary["average"],
        on_time=on_time_by_team(organization=organization, user=user),
    )


def is_member(organization: Organization, user: User) -> bool:
    return Membership.objects.filter(organization=organization, user=user).exists()


def my_assessments_summary(request) -> dict | None:
    """The "Assessments" card of the agent's My coaching page."""
    from django.urls import reverse

    from .enums import OPEN_STATES

    if not request.user.has_perm("coaching.view_own_assessments"):
        return None
    counts = CoachingAssessment.objects.filter(
        organization=request.organization, trainee=request.user
    ).aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        completed=Count("pk", filter=Q(state=AssessmentState.CLOSED_COMPLETE)),
    )
    return {
        "title": "Open assessments",
        "value": counts["open"],
        "caption": f"{counts['completed']} completed",
        "url": reverse("coaching:mine", kwargs={"org_slug": request.organization.slug}),
        "tone": None,
    }
