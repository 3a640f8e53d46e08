"""Coaching pages: the overview, the assessments list, an assessment, opening one, mine."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opportunities.models import CoachingOpportunity
from privacy.access import record_access
from privacy.models import AccessKind
from skills.models import Skill
from surveys.enums import MIN_AGGREGATE_RESPONSES
from tenancy.models import Membership
from tenancy.people import suggestions
from tenancy.selectors import membership_for, sees_everything
from tenancy.views import org_permission_required, org_url
from work.selectors import find_work_item

from . import charts, selectors, services
from .enums import AssessmentState
from .forms import (
    CancelForm,
    CoursesForm,
    DetailsForm,
    FilterForm,
    OpenAssessmentForm,
    SkillForm,
    SurveysForm,
)
from .models import CoachingAssessment

PAGE_SIZE = 50
ACTIONS = {
    "start": services.start_assessment,
    "resolve": services.resolve_assessment,
    "complete": services.complete_assessment,
}


def _visible(request, pk: int) -> CoachingAssessment:
    """An assessment the user may see (404 otherwise, never 403)."""
    qs = selectors.visible_assessments(organization=request.organization, user=request.user)
    try:
        return selectors.assessment_detail(qs, pk)
    except CoachingAssessment.DoesNotExist:
        raise Http404("No such assessment.") from None


def _actionable(request, pk: int) -> CoachingAssessment:
    """An assessment the user may act on as its coach or an admin (404 otherwise)."""
    assessment = _visible(request, pk)
    if not request.user.has_perm("coaching.act_on_assessment", assessment):
        raise Http404("No such assessment.")
    return assessment


@org_permission_required("coaching.view_overview")
def overview(request):
    data = selectors.coaching_overview(organization=request.organization, user=request.user)
    context = {
        "data": data,
        "donut": charts.donut(data.by_state),
        "bars": charts.bars(data.by_opportunity),
        "trend": charts.trend(data.trend),
    }
    return render(request, "coaching/overview.html", context)


@org_permission_required("coaching.view_assessment_list")
def assessment_list(request):
    opportunities = CoachingOpportunity.objects.filter(
        organization=request.organization).order_by("name").only("pk", "name")
    form = FilterForm(request.GET or None, opportunities=list(opportunities))
    filters = selectors.AssessmentFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.AssessmentFilters(
            state=data["state"], scope=data["scope"], trainee=data["trainee"].strip(),
            opportunity=data["opportunity"], follow_up=data["follow_up"],
        )
    qs = selectors.assessment_list(organization=request.organization, user=request.user,
                                   filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "today": timezone.localdate(timezone=request.organization.tzinfo),
               "can_open": request.user.has_perm("coaching.view_overview")}
    template = "coaching/partials/assessment_rows.html" if request.htmx else \
        "coaching/assessment_list.html"
    return render(request, template, context)


@org_permission_required("coaching.view_own_assessments")
def my_assessments(request):
    rows = selectors.own_assessments(organization=request.organization, user=request.user)
    return render(request, "coaching/my_assessments.html", {"assessments": rows})


@org_permission_required("coaching.view_own_assessments")
def assessment_detail(request, pk: int):
    assessment = _visible(request, pk)
    record_access(request, subject=assessment.trainee_id, kind=AccessKind.ASSESSMENT,
                  obj=assessment, label=f"Assessment #{assessment.pk}")
    can_act = request.user.has_perm("coaching.act_on_assessment", assessment)
    context = _outcomes(request, assessment)
    context.update({"assessment": assessment, "can_act": can_act and assessment.is_open})
    if can_act and assessment.is_open:
        context.update(_forms(request, assessment))
    context.update(_claim_context(request, assessment))
    return render(request, "coaching/assessment_detail.html", context)


def _claim_context(request, assessment) -> dict:
    """Who may take the assessment from the backlog (a coach, for themselves) or give it
    to a coach (an org admin, also to move it from one coach to another)."""
    organization = request.organization
    if not assessment.is_open or assessment.virtual_coach_id is not None:
        return {}
    is_admin = sees_everything(organization, request.user)
    membership = membership_for(request.user, organization)
    is_coach = membership is not None and membership.is_coach
    context = {}
    if assessment.coach_id is None and is_coach and request.user.pk != assessment.trainee_id:
        context["can_claim"] = True
    if is_admin:
        context["claim_coaches"] = [
            m.user for m in Membership.objects.filter(organization=organization, is_coach=True)
            .exclude(user_id__in=[assessment.trainee_id, assessment.coach_id or 0])
            .select_related("user").order_by("user__username")]
    return context


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_claim(request, pk: int):
    """Claim an unassigned assessment, or (org admins) give it to a coach."""
    assessment = _visible(request, pk)
    coach = None
    if request.POST.get("coach"):
        coach = Membership.objects.filter(
            organization=request.organization, user_id=request.POST["coach"]
            if str(request.POST["coach"]).isdigit() else 0,
        ).select_related("user").first()
        if coach is None:
            messages.error(request, "Choose a coach of this organization.")
            return redirect(org_url(request, "coaching:detail", pk=assessment.pk))
        coach = coach.user
    try:
        claimed = services.claim_assessment(assessment=assessment, actor=request.user,
                                            coach=coach)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    if claimed.coach_id == request.user.pk:
        return _done(request, claimed, "You coach this assessment now.")
    return _done(request, claimed, f"{claimed.coach} coaches this assessment now.")


def _outcomes(request, assessment) -> dict:
    """The learning tasks and surveys of the assessment, and whether this user may take
    the coach survey now."""
    surveys = selectors.assessment_surveys(assessment, viewer=request.user)
    coach_line = next((line for line in surveys if line.role == "coach"), None)
    return {
        "learning_tasks": selectors.assessment_learning_tasks(assessment),
        "surveys": surveys,
        "min_responses": MIN_AGGREGATE_RESPONSES,
        "can_take_coach_survey": (
            coach_line is not None and not coach_line.note
            and assessment.coach_id == request.user.pk
            and assessment.state != AssessmentState.CLOSED_INCOMPLETE
            and (coach_line.response is None or coach_line.response.is_pending)
        ),
    }


def _locked_surveys(assessment) -> list[str]:
    return [kind for kind in ("coach_survey", "trainee_survey")
            if services.survey_given_by_opportunity(assessment, kind)]


def _forms(request, assessment, **overrides) -> dict:
    forms = {
        "details_form": DetailsForm(initial={
            "rating": assessment.rating, "comments": assessment.comments,
            "follow_up": assessment.follow_up,
        }),
        "skill_form": SkillForm(organization=request.organization,
                                trainee=assessment.trainee),
        "courses_form": CoursesForm(
            organization=request.organization, user=request.user, assessment=assessment,
            initial={"courses": [link.course_id for link in assessment.course_links.all()]},
        ),
        "surveys_form": SurveysForm(
            organization=request.organization, assessment=assessment,
            locked=_locked_surveys(assessment),
            initial={"coach_survey": assessment.coach_survey_id,
                     "trainee_survey": assessment.trainee_survey_id},
        ),
        "cancel_form": CancelForm(),
        "next_action": {
            AssessmentState.OPEN: ("start", "Start coaching"),
            AssessmentState.IN_PROGRESS: ("resolve", "Mark resolved"),
            AssessmentState.RESOLVED: ("complete", "Complete and award"),
        }.get(assessment.state),
    }
    forms.update(overrides)
    return forms


def _rerender(request, assessment, status=400, **forms):
    assessment = _visible(request, assessment.pk)
    context = _outcomes(request, assessment)
    context.update({"assessment": assessment, "can_act": assessment.is_open})
    context.update(_forms(request, assessment, **forms))
    return render(request, "coaching/assessment_detail.html", context, status=status)


def _done(request, assessment, message: str):
    messages.success(request, message)
    return redirect(org_url(request, "coaching:detail", pk=assessment.pk))


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_action(request, pk: int, action: str):
    assessment = _actionable(request, pk)
    try:
        if action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                return _rerender(request, assessment, cancel_form=form)
            services.cancel_assessment(assessment=assessment, actor=request.user,
                                       reason=form.cleaned_data["reason"])
        elif action in ACTIONS:
            ACTIONS[action](assessment=assessment, actor=request.user)
        else:
            raise Http404("No such action.")
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    labels = {"start": "started", "resolve": "resolved", "complete": "completed",
              "cancel": "cancelled"}
    return _done(request, assessment, f"Assessment {labels[action]}.")


def _refused(request, assessment, error):
    """A service refused the action: say why on the assessment page, nothing changed."""
    messages.error(request, error.message)
    return redirect(org_url(request, "coaching:detail", pk=assessment.pk))


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_details(request, pk: int):
    assessment = _actionable(request, pk)
    form = DetailsForm(request.POST)
    if not form.is_valid():
        return _rerender(request, assessment, details_form=form)
    try:
        services.update_assessment(assessment=assessment, actor=request.user,
                                   **form.cleaned_data)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return _done(request, assessment, "Assessment saved.")


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_skill_add(request, pk: int):
    assessment = _actionable(request, pk)
    form = SkillForm(request.POST, organization=request.organization,
                     trainee=assessment.trainee)
    if not form.is_valid():
        return _rerender(request, assessment, skill_form=form)
    try:
        services.add_assessment_skill(assessment=assessment, actor=request.user,
                                      **form.cleaned_data)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return _done(request, assessment, f"{form.cleaned_data['skill']} will be awarded.")


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_skill_remove(request, pk: int, skill_id: int):
    assessment = _actionable(request, pk)
    if not Skill.objects.filter(organization=request.organization, pk=skill_id).exists():
        raise Http404("No such skill.")
    try:
        services.remove_assessment_skill(assessment=assessment, actor=request.user,
                                         skill_id=skill_id)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return _done(request, assessment, "Skill removed.")


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_courses(request, pk: int):
    assessment = _actionable(request, pk)
    form = CoursesForm(request.POST, organization=request.organization, user=request.user,
                       assessment=assessment)
    if not form.is_valid():
        return _rerender(request, assessment, courses_form=form)
    try:
        services.set_assessment_courses(assessment=assessment, actor=request.user,
                                        courses=form.cleaned_data["courses"])
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return _done(request, assessment, "Training saved.")


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_surveys(request, pk: int):
    assessment = _actionable(request, pk)
    form = SurveysForm(request.POST, organization=request.organization, assessment=assessment,
                       locked=_locked_surveys(assessment))
    if not form.is_valid():
        return _rerender(request, assessment, surveys_form=form)
    try:
        services.set_assessment_surveys(assessment=assessment, actor=request.user,
                                        **form.cleaned_data)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return _done(request, assessment, "Surveys saved.")


@require_POST
@org_permission_required("coaching.view_assessment_list")
def assessment_take_survey(request, pk: int):
    """The coach takes their survey now: send it if needed, then open the survey form."""
    assessment = _actionable(request, pk)
    try:
        response = services.take_coach_survey(assessment=assessment, actor=request.user)
    except services.AssessmentError as error:
        return _refused(request, assessment, error)
    return redirect(org_url(request, "surveys:take", pk=response.pk))


@org_permission_required("coaching.view_assessment_list")
def assessment_create(request):
    trainees = selectors.coachable_members(organization=request.organization,
                                           user=request.user)
    initial = {}
    requested = request.GET.get("agent") or ""
    if requested and not (requested.isdigit() and trainees.filter(pk=requested).exists()):
        raise Http404("No such agent among the teams you coach.")
    posted = request.POST.get("trainee", "").strip()
    if posted.isdigit() and not trainees.filter(Q(pk=posted) | Q(username=posted)).exists():
        raise Http404("No such agent among the teams you coach.")  # an id of another team's
    if request.GET.get("agent"):
        initial["trainee"] = request.GET["agent"]
    if request.GET.get("work_item"):
        initial["work_item"] = request.GET["work_item"][:200]
    form = OpenAssessmentForm(request.POST or None, trainees=trainees, initial=initial)
    if (answer := suggestions(request, form)) is not None:  # the agent box's type-ahead
        return answer
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        work_item = None
        if data["work_item"].strip():
            work_item, why_not = find_work_item(request.organization, data["work_item"])
            if work_item is None:
                form.add_error("work_item", why_not)
        if not form.errors:
            try:
                assessment = services.open_manual_assessment(
                    organization=request.organization, actor=request.user,
                    trainee=data["trainee"], work_item=work_item,
                    due_in_days=data["due_in_days"], comments=data["comments"],
                )
            except services.AssessmentError as error:
                form.add_error(None, error.message)
            else:
                return _done(request, assessment, "Assessment opened.")
    return render(request, "coaching/assessment_form.html", {"form": form})
