"""Tenant-scoped Django admin for catalogs, course items and learning tasks (read-mostly:
tasks change state through the web UI and services only)."""

from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import (
    CatalogCourse,
    CatalogTeam,
    CourseItem,
    CourseSkill,
    LearningCatalog,
    LearningTask,
)


class CatalogCourseInline(TenantInlineMixin, admin.TabularInline):
    model = CatalogCourse
    extra = 0
    fields = ["course"]


class CatalogTeamInline(TenantInlineMixin, admin.TabularInline):
    model = CatalogTeam
    extra = 0
    fields = ["team"]


@admin.register(LearningCatalog)
class LearningCatalogAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "owner", "created_at"]
    search_fields = ["title"]
    fields = ["title", "description", "owner"]
    inlines = [CatalogTeamInline, CatalogCourseInline]


class CourseSkillInline(TenantInlineMixin, admin.TabularInline):
    model = CourseSkill
    extra = 0
    fields = ["skill", "level"]


@admin.register(CourseItem)
class CourseItemAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "source", "provider", "days_to_complete", "active"]
    list_filter = ["source", "provider", "active"]
    search_fields = ["title"]
    readonly_fields = ["body"]
    fields = ["title", "description", "source", "provider", "url", "body", "days_to_complete",
              "estimated_minutes", "active"]
    inlines = [CourseSkillInline]


@admin.register(LearningTask)
class LearningTaskAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["course_item", "assigned_to", "state", "due_date", "assigned_by"]
    list_filter = ["state"]
    search_fields = ["course_item__title", "assigned_to__username"]
    fields = ["assigned_to", "course_item", "catalog", "due_date", "state",
              "assigned_by", "created_at", "started_at", "completed_at", "cancelled_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
