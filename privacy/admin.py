"""Django admin for the privacy records: read-only, each organization's own (platform staff
see every tenant's)."""

from django.contrib import admin

from tenancy.admin_mixins import RecordAdminMixin, TenantAdminMixin

from .models import PersonalDataRequest


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
