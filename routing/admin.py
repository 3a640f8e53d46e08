from django.contrib import admin

from tenancy.admin_mixins import RecordAdminMixin, TenantAdminMixin

from .models import RoutingDecision


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Decisions are written by the routing service only (a record of what happened)."""

    list_display = ["work_item", "outcome", "trigger", "assigned_to", "created_at"]
    list_filter = ["outcome", "trigger"]
    readonly_fields = ["work_item", "trigger", "outcome", "assigned_to", "actor", "reason",
                       "candidates", "created_at"]
