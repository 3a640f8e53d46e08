"""Tenant-scoped admin for assessments: read-mostly (the lifecycle moves through services)."""

from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import AssessmentCourse, AssessmentSkill, AssessmentTransition, CoachingAssessment


class AssessmentSkillInline(TenantInlineMixin, admin.TabularInline):
    model = AssessmentSkill
    extra = 0
    readonly_fields = ["awarded"]


class AssessmentCourseInline(TenantInlineMixin, admin.TabularInline):
    model = AssessmentCourse
    extra = 0
    verbose_name = "course on completion"
    verbose_name_plural = "training on completion"


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
    readonly_fields = ["state", "origin", "opportunity", "event", "virtual_coach", "created_by",
                       "closed_at"]
    inlines = [AssessmentSkillInline, AssessmentCourseInline, AssessmentTransitionInline]

    def has_add_permission(self, request, *args):
        return False  # assessments open through opportunities or the coaching pages
