"""Django admin for work items, their events and imports (tenant-scoped, read-mostly).

Work items change only through the ingest service, so the admin shows them read-only.
"""

from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from .models import HandlerRun, WorkEvent, WorkImport, WorkItem, WorkItemSkill


class ReadOnlyMixin:
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WorkItemSkillInline(ReadOnlyMixin, TenantInlineMixin, admin.TabularInline):
    model = WorkItemSkill
    fields = ["skill_name", "minimum_level"]
    extra = 0


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "number", "kind", "state", "priority", "team", "assigned_to",
                    "opened_at"]
    list_filter = ["kind", "state", "escalated", "sla_breached"]
    search_fields = ["external_id", "number", "short_description"]
    list_select_related = ["team", "assigned_to"]
    inlines = [WorkItemSkillInline]
    date_hierarchy = "opened_at"


class HandlerRunInline(ReadOnlyMixin, TenantInlineMixin, admin.TabularInline):
    model = HandlerRun
    fields = ["handler", "ran_at"]
    extra = 0


@admin.register(WorkEvent)
class WorkEventAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "work_item", "type", "occurred_at", "processed_at", "dispatch_count"]
    list_filter = ["type", ("processed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["work_item"]
    readonly_fields = ["last_error"]
    inlines = [HandlerRunInline]


@admin.register(WorkImport)
class WorkImportAdmin(ReadOnlyMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "status", "created_by", "created_at", "created_count",
                    "updated_count", "error_count"]
    list_filter = ["status"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")
