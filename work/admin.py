"""Django admin for work items, their events and imports (tenant-scoped, read-mostly).

Work items change only through the ingest service, so the admin shows them read-only.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q

from tenancy.admin_mixins import RecordAdminMixin, TenantAdminMixin, TenantInlineMixin
from tenancy.models import Organization

from . import services
from .models import HandlerRun, RequestedSkill, WorkEvent, WorkImport, WorkItem


class RequestedSkillInline(RecordAdminMixin, TenantInlineMixin, admin.TabularInline):
    model = RequestedSkill
    fields = ["skill_name", "minimum_level"]
    extra = 0


@admin.register(WorkItem)
class WorkItemAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "number", "kind", "state", "priority", "team", "assigned_to",
                    "opened_at"]
    list_filter = ["kind", "state", "escalated", "sla_breached"]
    search_fields = ["external_id", "number", "short_description"]
    list_select_related = ["team", "assigned_to"]
    inlines = [RequestedSkillInline]
    date_hierarchy = "opened_at"


class HandlerRunInline(RecordAdminMixin, TenantInlineMixin, admin.TabularInline):
    model = HandlerRun
    fields = ["handler", "ran_at"]
    extra = 0


class ProcessingFilter(admin.SimpleListFilter):
    title = "processing"
    parameter_name = "processing"

    def lookups(self, request, model_admin):
        return [("done", "Processed"), ("waiting", "Waiting"), ("failing", "Failing, retried"),
                ("given_up", "Given up")]

    def queryset(self, request, queryset):
        given_up = Q(attempts__gte=settings.WORK_EVENT_MAX_ATTEMPTS)
        unprocessed = queryset.filter(processed_at__isnull=True)
        match self.value():
            case "done":
                return queryset.filter(processed_at__isnull=False)
            case "waiting":
                return unprocessed.filter(last_error="")
            case "failing":
                return unprocessed.exclude(last_error="").exclude(given_up)
            case "given_up":
                return unprocessed.filter(given_up)
        return queryset


@admin.register(WorkEvent)
class WorkEventAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["id", "work_item", "type", "occurred_at", "processing", "attempts",
                    "retry_at", "dispatch_count"]
    list_filter = [ProcessingFilter, "type"]
    list_select_related = ["work_item"]
    readonly_fields = ["processing", "attempts", "retry_at", "last_error"]
    inlines = [HandlerRunInline]
    actions = ["retry"]

    @admin.display(description="processing")
    def processing(self, event: WorkEvent) -> str:
        if event.processed_at is not None:
            return f"processed {event.processed_at:%Y-%m-%d %H:%M:%S}"
        if event.attempts >= settings.WORK_EVENT_MAX_ATTEMPTS:
            return f"given up after {event.attempts} failed tries"
        if event.last_error:
            return f"failing ({event.attempts} tries), retried"
        return "waiting"

    @admin.action(description="Retry the selected unprocessed events now",
                  permissions=["view"])
    def retry(self, request, queryset):
        by_organization: dict[int, list[int]] = {}
        rows = queryset.filter(processed_at__isnull=True).values_list("pk", "organization_id")
        for pk, organization_id in rows:
            by_organization.setdefault(organization_id, []).append(pk)
        organizations = Organization.objects.in_bulk(list(by_organization))
        count = sum(
            services.retry_work_events(organization=organizations[org_id], event_ids=ids)
            for org_id, ids in by_organization.items()
        )
        self.message_user(request, f"{count} event(s) sent again.", messages.SUCCESS)


@admin.register(WorkImport)
class WorkImportAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["filename", "status", "created_by", "created_at", "created_count",
                    "updated_count", "error_count"]
    list_filter = ["status"]
    exclude = ["file"]
