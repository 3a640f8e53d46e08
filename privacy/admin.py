"""Django admin for the privacy records: read-only, each organization's own (platform staff
see every tenant's). The access log has no add, change or delete: the table is append-only
and only the retention job removes expired records."""

from django.contrib import admin

from tenancy.admin_mixins import RecordAdminMixin, TenantAdminMixin

from .models import AccessRecord, PersonalDataRequest


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Exports, erasures and retention runs: the audit trail of privacy actions."""

    records_deletable = False
    list_display = ["created_at", "kind", "subject_label", "requested_by", "dry_run"]
    list_filter = ["kind", "dry_run"]
    search_fields = ["subject_label", "requested_by"]
    readonly_fields = ["kind", "subject", "subject_label", "requested_by", "dry_run", "summary",
                       "created_at"]
    fields = readonly_fields


@admin.register(AccessRecord)
class AccessRecordAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Who viewed one person's data (the access log)."""

    records_deletable = False
    list_display = ["viewed_at", "viewer_label", "subject", "kind", "channel", "object_label"]
    list_filter = ["kind", "channel"]
    search_fields = ["viewer_label", "object_label"]
    date_hierarchy = "viewed_at"
    list_select_related = ["subject"]
    readonly_fields = ["viewed_at", "viewer", "viewer_label", "subject", "kind", "channel",
                       "object_id", "object_label", "path"]
    fields = readonly_fields
