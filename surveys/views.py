"""Survey pages: surveys to take, the answer form, the builder, results, effectiveness."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenancy.views import org_permission_required, org_url

from . import selectors, services
from .enums import MIN_AGGREGATE_RESPONSES
from .forms import AnswerSheet, QuestionForm, SurveySettingsForm, TemplateForm
from .models import Question, SurveyResponse, SurveyTemplate

RESPONSES_PAGE = 50  # a survey's responses listed on its results page, per page
PERIODS = [("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 12 months"),
           ("all", "All time")]


def _template_or_404(request, pk: int) -> SurveyTemplate:
    try:
        return selectors.template_with_questions(request.organization, pk)
    except SurveyTemplate.DoesNotExist:
        raise Http404("No such survey.") from None


def _question_or_404(request, pk: int) -> Question:
    try:
        return selectors.question_for_builder(request.organization, pk)
    except Question.DoesNotExist:
        raise Http404("No such question.") from None


def _perms(request) -> dict:
    user, org = request.user, request.organization
    return {
        "can_manage": user.has_perm("surveys.manage_templates", org),
        "can_read_results": user.has_perm("surveys.view_results", org),
        "can_see_effectiveness": user.has_perm("surveys.view_effectiveness", org),
    }


# --- respondents -----------------------------------------------------------------------


def _to_take_context(request) -> dict:
    now = timezone.now()
    pending = list(selectors.surveys_to_take(request.organization, request.user))
    for response in pending:
        response.overdue = response.due_at <= now
        response.due_soon = not response.overdue and (response.due_at - now).days < 2
    return {
        "pending": pending,
        "answered": list(selectors.surveys_answered(request.organization, request.user)),
    }


@org_permission_required("surveys.view_manager_surveys")
def index(request):
    return render(request, "surveys/index.html", {**_to_take_context(request), **_perms(request)})


@org_permission_required("surveys.take_surveys")
def my_surveys(request):
    return render(request, "surveys/my_surveys.html", _to_take_context(request))


@org_permission_required("surveys.take_surveys")
def take(request, pk: int):
    """Answer a survey sent to the current user (anyone else's is a 404)."""
    try:
        response = selectors.response_for_respondent(request.organization, request.user, pk)
    except SurveyResponse.DoesNotExist:
        raise Http404("No such survey for you.") from None
    questions = response.template.questions.all()
    promise = selectors.anonymity_promise(response.template, anonymous=response.anonymous)
    home_url = org_url(request, "surveys:index" if request.membership.is_manager
                       else "surveys:my_surveys")
    open_for_answers = response.is_pending and response.due_at > timezone.now()
    if request.method == "POST":
        sheet = AnswerSheet(questions, data=request.POST)
        try:
            services.submit_survey(response=response, respondent=request.user,
                                   answers=sheet.answers)
        except services.SurveyAnswersInvalid as invalid:
            sheet.add_errors(invalid.errors)
            return render(request, "surveys/take.html", {
                "response": response, "sheet": sheet, "error": invalid.message,
                "open_for_answers": True, "home_url": home_url, "promise": promise,
            })
        except services.SurveyError as error:
            messages.error(request, error.message)
            return redirect(org_url(request, "surveys:take", pk=pk))
        messages.success(request, "Thank you: your answers are saved.")
        return redirect(org_url(request, "surveys:take", pk=pk))
    sheet = AnswerSheet(questions, answers=response.answers.all())
    return render(request, "surveys/take.html", {
        "response": response, "sheet": sheet, "open_for_answers": open_for_answers,
        "home_url": home_url, "promise": promise,
    })


# --- the builder -----------------------------------------------------------------------


@org_permission_required("surveys.view_results")
def template_list(request):
    templates = selectors.templates_for_list(request.organization)
    return render(request, "surveys/template_list.html",
                  {"templates": templates, **_perms(request)})


@org_permission_required("surveys.manage_templates")
def template_edit(request, pk: int | None = None):
    template = _template_or_404(request, pk) if pk is not None else None
    initial = {"active": True}
    if template is not None:
        initial = {"name": template.name, "audience": template.audience,
                   "description": template.description, "active": template.active}
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.save_template(
                organization=request.organization, template=template, **form.cleaned_data
            )
        except services.SurveyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Survey “{template.name}” saved.")
            return redirect(org_url(request, "surveys:template_detail", pk=template.pk))
    return render(request, "surveys/template_form.html",
                  {"template": template, "form": form, **_perms(request)})


@org_permission_required("surveys.manage_templates")
def template_detail(request, pk: int):
    """The builder: the questions in order, with edit, move and delete, and an add form."""
    template = _template_or_404(request, pk)
    return render(request, "surveys/template_detail.html", {
        "template": template, "questions": template.questions.all(),
        "form": QuestionForm(initial={"kind": "rating", "scale_min": 1, "scale_max": 5,
                                      "weight": 1, "required": True}),
        **_perms(request),
    })


@org_permission_required("surveys.manage_templates")
def question_edit(request, pk: int | None = None, template_pk: int | None = None):
    question = _question_or_404(request, pk) if pk is not None else None
    template = question.template if question else _template_or_404(request, template_pk)
    initial = QuestionForm.initial_for(question) if question else {
        "kind": "rating", "scale_min": 1, "scale_max": 5, "weight": 1, "required": True}
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.save_question(template=template, question=question,
                                              **form.service_kwargs())
        except services.SurveyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Question {question.order + 1} saved.")
            return redirect(org_url(request, "surveys:template_detail", pk=template.pk)
                            + f"#question-{question.pk}")
    return render(request, "surveys/question_form.html",
                  {"template": template, "question": question, "form": form, **_perms(request)})


@require_POST
@org_permission_required("surveys.manage_templates")
def question_move(request, pk: int):
    question = _question_or_404(request, pk)
    direction = request.POST.get("direction", "")
    try:
        services.move_question(question=question, direction=direction)
    except services.SurveyError as error:
        messages.error(request, error.message)
    if request.htmx:
        template = _template_or_404(request, question.template_id)
        return render(request, "surveys/partials/question_list.html", {
            "template": template, "questions": template.questions.all(),
            "moved": question.pk, "moved_direction": direction,
        })
    return redirect(org_url(request, "surveys:template_detail", pk=question.template_id)
                    + f"#question-{question.pk}")


@require_POST
@org_permission_required("surveys.manage_templates")
def question_delete(request, pk: int):
    question = _question_or_404(request, pk)
    try:
        services.delete_question(question=question)
    except services.SurveyError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Question “{question.text}” deleted.")
    return redirect(org_url(request, "surveys:template_detail", pk=question.template_id))


@org_permission_required("surveys.manage_templates")
def template_preview(request, pk: int):
    template = _template_or_404(request, pk)
    current = selectors.survey_settings(request.organization)
    return render(request, "surveys/preview.html", {
        "template": template, "sheet": AnswerSheet(template.questions.all()),
        "due_days": current.due_after_days,
        "promise": selectors.anonymity_promise(template, anonymous=current.anonymous),
        **_perms(request),
    })


# --- results ---------------------------------------------------------------------------


@org_permission_required("surveys.view_results")
def template_results(request, pk: int):
    try:
        template = SurveyTemplate.objects.get(organization=request.organization, pk=pk)
    except SurveyTemplate.DoesNotExist:
        raise Http404("No such survey.") from None
    sees_trainee_answers = request.user.has_perm("surveys.view_trainee_answers",
                                                 request.organization)
    results = selectors.template_results(request.organization, template,
                                         trainee_answers=sees_trainee_answers)
    page = Paginator(selectors.responses_for_template(
        request.organization, template, trainee_answers=sees_trainee_answers),
        RESPONSES_PAGE).get_page(request.GET.get("page"))
    return render(request, "surveys/results.html", {
        "template": template, "results": results, "page": page,
        "responses": page.object_list,
        "sees_trainee_answers": sees_trainee_answers,
        "min_responses": MIN_AGGREGATE_RESPONSES,
        **_perms(request),
    })


@org_permission_required("surveys.view_effectiveness")
def effectiveness(request):
    period = request.GET.get("period", "90")
    if period not in dict(PERIODS):
        period = "90"
    sees_all = request.user.has_perm("surveys.view_all_effectiveness", request.organization)
    per_coach, per_opportunity = selectors.coach_effectiveness(
        request.organization,
        since=selectors.effectiveness_since(period, request.organization),
        coach=None if sees_all else request.user,
    )
    return render(request, "surveys/effectiveness.html", {
        "per_coach": per_coach, "per_opportunity": per_opportunity, "periods": PERIODS,
        "period": period, "sees_all": sees_all, "min_responses": MIN_AGGREGATE_RESPONSES,
        **_perms(request),
    })


@org_permission_required("surveys.manage_settings")
def settings_view(request):
    current = selectors.survey_settings(request.organization)
    form = SurveySettingsForm(request.POST or None, initial={
        "remind_after_days": current.remind_after_days,
        "due_after_days": current.due_after_days,
        "anonymous": current.anonymous,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.update_survey_settings(organization=request.organization,
                                            **form.cleaned_data)
        except services.SurveyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Survey settings saved.")
            return redirect(org_url(request, "surveys:settings"))
    return render(request, "surveys/settings.html", {"form": form, **_perms(request)})
