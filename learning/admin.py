"""Tenant-scoped Django admin for catalogs, course items and learning tasks.

Catalogs and course items are saved through the learning services (the same checks as
the learning pages: unique titles, safe links and bodies, same-tenant rows); they are not
deleted here (no service deletes them: tasks refer to them; deactivate a course instead).
Tasks are read-only: they change state through the web UI and services only."""

from django.contrib import admin
from django.contrib.admin.utils import construct_change_message

from tenancy.admin_mixins import (
    ServiceAdminMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    kept_rows,
)

from .models import (
    CatalogCourse,
    CatalogTeam,
    CourseItem,
    CourseSkill,
    LearningCatalog,
    LearningTask,
)
from .services import (
    add_course_to_catalog,
    remove_course_from_catalog,
    save_catalog,
    save_course_item,
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
class LearningCatalogAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "owner", "created_at"]
    search_fields = ["title"]
    fields = ["title", "description", "owner"]
    inlines = [CatalogTeamInline, CatalogCourseInline]

    def save_model(self, request, obj, form, change):
        """Saved with its teams and courses in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        catalog = save_catalog(
            organization=form.instance.organization, title=data["title"],
            description=data.get("description", ""), owner=data.get("owner"),
            teams=[row["team"] for row in kept_rows(formsets, CatalogTeam)],
            catalog=form.instance if change else None,
        )
        form.instance.pk, form.instance._state.adding = catalog.pk, False
        wanted = {row["course"].pk: row["course"] for row in kept_rows(formsets, CatalogCourse)}
        for link in CatalogCourse.objects.filter(catalog=catalog).select_related("course"):
            if link.course_id not in wanted:
                remove_course_from_catalog(catalog=catalog, course=link.course)
        add_course_to_catalog(catalog=catalog, courses=list(wanted.values()))

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def has_delete_permission(self, request, obj=None):
        return False


class CourseSkillInline(TenantInlineMixin, admin.TabularInline):
    model = CourseSkill
    extra = 0
    fields = ["skill", "level"]


@admin.register(CourseItem)
class CourseItemAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "source", "provider", "days_to_complete", "active"]
    list_filter = ["source", "provider", "active"]
    search_fields = ["title"]
    readonly_fields = ["body"]
    fields = ["title", "description", "source", "provider", "url", "body", "days_to_complete",
              "estimated_minutes", "active"]
    inlines = [CourseSkillInline]

    def save_model(self, request, obj, form, change):
        """Saved with its granted skills in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        course = form.instance
        saved = save_course_item(
            organization=course.organization, title=data["title"], source=data["source"],
            description=data.get("description", ""), provider=data.get("provider", ""),
            url=data.get("url", ""), body=course.body if change else "",
            days_to_complete=data["days_to_complete"],
            estimated_minutes=data.get("estimated_minutes"), active=data.get("active", False),
            skills=[(row["skill"], row["level"]) for row in kept_rows(formsets, CourseSkill)],
            created_by=None if change else request.user, course=course if change else None,
        )
        course.pk, course._state.adding = saved.pk, False

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def has_delete_permission(self, request, obj=None):
        return False


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

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a task's lifecycle (and its assessment link) moves through services
