"""Tenant-scoped admin for assessments: read-only (the lifecycle, its skills, courses and
what completing created move through the coaching services and pages only)."""

from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import (
    AdviceFeedback,
    AssessmentCourse,
    AssessmentLearningTask,
    AssessmentSkill,
    AssessmentSurvey,
    AssessmentTransition,
    CoachingAssessment,
    CoachingPlan,
    PlanExample,
    PlanNote,
)


class AssessmentSkillInline(TenantInlineMixin, admin.TabularInline):
    model = AssessmentSkill
    extra = 0
    readonly_fields = ["awarded"]


class AssessmentCourseInline(TenantInlineMixin, admin.TabularInline):
    model = AssessmentCourse
    extra = 0
    verbose_name = "course on completion"
    verbose_name_plural = "training on completion"


class _CreatedByCompletion(TenantInlineMixin, admin.TabularInline):
    """What completing the assessment created: shown, never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AssessmentLearningTaskInline(_CreatedByCompletion):
    model = AssessmentLearningTask
    fields = readonly_fields = ["task"]
    verbose_name_plural = "learning tasks assigned on completion"


class AssessmentSurveyInline(_CreatedByCompletion):
    model = AssessmentSurvey
    fields = readonly_fields = ["response"]
    verbose_name_plural = "surveys sent"


class AssessmentTransitionInline(TenantInlineMixin, admin.TabularInline):
    model = AssessmentTransition
    extra = 0
    readonly_fields = ["from_state", "to_state", "actor", "actor_label", "note", "at"]
    can_delete = False

    def has_add_permission(self, request, *args):
        return False


@admin.register(CoachingAssessment)
class CoachingAssessmentAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "trainee", "coach", "state", "opportunity", "rating", "due_date"]
    list_filter = ["state", "origin"]
    search_fields = ["trainee__username", "coach__username"]
    readonly_fields = ["state", "origin", "opportunity", "opportunity_match", "event",
                       "virtual_coach", "created_by", "closed_at"]
    inlines = [AssessmentSkillInline, AssessmentCourseInline, AssessmentLearningTaskInline,
               AssessmentSurveyInline, AssessmentTransitionInline]

    def has_add_permission(self, request, *args):
        return False  # assessments open through opportunities or the coaching pages

    def has_change_permission(self, request, obj=None):
        return False  # the assessment page and its services change it (state, skills, rating)

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes an assessment: its history and awards refer to it


# --- Behaviour coaching plans (issue 18): read-only; the plan pages and services move them.


class _ReadOnlyInline(TenantInlineMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlanExampleInline(_ReadOnlyInline):
    model = PlanExample
    fields = readonly_fields = ["interaction", "kind"]


class PlanNoteInline(_ReadOnlyInline):
    model = PlanNote
    fields = readonly_fields = ["author", "text", "created_at"]


@admin.register(CoachingPlan)
class CoachingPlanAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "agent", "attribute_name", "status", "target_percent", "target_date",
                    "deleted_at"]
    list_filter = ["status"]
    search_fields = ["agent__username", "attribute_key", "attribute_name"]
    inlines = [PlanExampleInline, PlanNoteInline]

    def has_add_permission(self, request, *args):
        return False  # plans are created and sent from the coaching pages

    def has_change_permission(self, request, obj=None):
        return False  # the status moves through the plan services and the beat task

    def has_delete_permission(self, request, obj=None):
        return False  # deleting a plan is recorded (soft delete on the plan page)


@admin.register(AdviceFeedback)
class AdviceFeedbackAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["attribute_key", "variant_key", "vote", "user", "created_at"]
    list_filter = ["vote"]
    search_fields = ["attribute_key", "variant_key", "user__username"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
