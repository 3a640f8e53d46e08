from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import Answer, Choice, Question, SurveyResponse, SurveyTemplate
from .selectors import shown_individually


class QuestionInline(TenantInlineMixin, admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "text", "kind", "scale_min", "scale_max", "weight", "required",
              "allows_na"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "audience", "active"]
    list_filter = ["audience", "active"]
    search_fields = ["name"]
    inlines = [QuestionInline]


class ChoiceInline(TenantInlineMixin, admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["text", "template", "kind", "weight", "order"]
    list_filter = ["kind"]
    search_fields = ["text"]
    inlines = [ChoiceInline]


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
