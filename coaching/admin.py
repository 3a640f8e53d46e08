"""Tenant-scoped admin for assessments: read-only (the lifecycle, its skills, courses and
what completing created move through the coaching services and pages only)."""

from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import (
    AssessmentCourse,
    AssessmentLearningTask,
    AssessmentSkill,
    AssessmentSurvey,
    AssessmentTransition,
    CoachingAssessment,
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
