"""Tenant-scoped admin for surveys. Templates and questions are saved and deleted through
the template-builder services (an answered question keeps its kind, scale and options and
is not deleted; a sent template keeps its audience); the order of questions changes on the
builder page. Sent surveys (responses) are read-only."""

from django.contrib import admin
from django.contrib.admin.utils import construct_change_message

from tenancy.admin_mixins import (
    ServiceAdminMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    kept_rows,
)

from .models import Answer, Choice, Question, SurveyResponse, SurveyTemplate
from .selectors import shown_individually
from .services import delete_question, save_question, save_template


def _save_question(*, template: SurveyTemplate, edited: Question,
                   choices: list[tuple[str, int]] | None = None) -> Question:
    """Save ``edited`` (the form's instance, already holding the new values) through the
    service, which compares against the stored question (answered ones keep their kind)."""
    stored = Question.objects.get(pk=edited.pk) if edited.pk else None
    if choices is None:
        choices = [(c.label, c.score) for c in stored.choices.all()] if stored else []
    saved = save_question(
        template=template, question=stored, text=edited.text, kind=edited.kind,
        help_text=edited.help_text, scale_min=edited.scale_min, scale_max=edited.scale_max,
        min_label=edited.min_label, max_label=edited.max_label, weight=edited.weight,
        required=edited.required, allows_na=edited.allows_na, choices=choices,
    )
    edited.pk, edited.order, edited._state.adding = saved.pk, saved.order, False
    return saved


class QuestionInline(TenantInlineMixin, admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "text", "kind", "scale_min", "scale_max", "weight", "required",
              "allows_na"]
    readonly_fields = ["order"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "audience", "active"]
    list_filter = ["audience", "active"]
    search_fields = ["name"]
    fields = ["name", "description", "audience", "active"]
    inlines = [QuestionInline]

    def save_model(self, request, obj, form, change):
        saved = save_template(
            organization=obj.organization, name=obj.name, audience=obj.audience,
            description=obj.description, active=obj.active,
            template=SurveyTemplate.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk, obj._state.adding = saved.pk, False

    def save_formset(self, request, form, formset, change):
        for question_form in formset.forms:
            if not question_form.cleaned_data:
                continue
            question = question_form.instance
            if formset._should_delete_form(question_form):
                if question.pk:
                    delete_question(question=question)
            elif question_form.has_changed() or not question.pk:
                _save_question(template=form.instance, edited=question)

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a template; sent ones hold responses


class ChoiceInline(TenantInlineMixin, admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["label", "score"]


@admin.register(Question)
class QuestionAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["text", "template", "kind", "weight", "order"]
    list_filter = ["kind"]
    search_fields = ["text"]
    fields = ["template", "order", "text", "help_text", "kind", "scale_min", "scale_max",
              "min_label", "max_label", "weight", "required", "allows_na"]
    inlines = [ChoiceInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "order", *(["template"] if obj is not None else [])]

    def save_model(self, request, obj, form, change):
        """Saved with its options in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        question = form.instance
        choices = [(row["label"], row["score"]) for row in kept_rows(formsets, Choice)]
        _save_question(template=question.template, edited=question, choices=choices)

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def delete_model(self, request, obj):
        delete_question(question=obj)


class AnswerInline(TenantInlineMixin, admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["question", "rating", "yes", "choice", "text", "not_applicable", "score"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Read-only: answers and state change only through the survey pages and services.

    Trainee surveys sent anonymously are not listed to anyone, superusers included: the
    trainee was promised nobody reads them with their name (``surveys.rules``).
    """

    list_display = ["template", "respondent", "subject", "state", "due_at", "score"]
    list_filter = ["state", "template__audience"]
    search_fields = ["respondent__username", "subject__username", "context_label"]
    readonly_fields = ["state", "score", "completed_at", "expired_at", "reminded_at"]
    inlines = [AnswerInline]

    def has_add_permission(self, request, *args):
        return False  # a response is sent by dispatch_survey (e-mail, anonymity), not typed in

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # its answers feed the scores and reports; no service deletes one

    def get_queryset(self, request):
        return shown_individually(super().get_queryset(request), trainee_answers=True)
