"""Django admin for tenancy: organizations, users, memberships, teams."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .admin_mixins import TenantAdminMixin, TenantInlineMixin, _admin_org, _is_superuser
from .models import ApiToken, Membership, Organization, Team, TeamManager, TeamMember, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_superuser(request):
            return qs
        return qs.filter(pk=getattr(_admin_org(request), "pk", None))

    def get_readonly_fields(self, request, obj=None):
        return [] if _is_superuser(request) else ["slug"]

    def has_module_permission(self, request):
        return _is_superuser(request) or (request.user.is_staff and _admin_org(request) is not None)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or _is_superuser(request) or obj == _admin_org(request)
        )

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return _is_superuser(request)


class TeamMemberInline(TenantInlineMixin, admin.TabularInline):
    model = TeamMember
    extra = 1
    fields = ["user"]


class TeamManagerInline(TenantInlineMixin, admin.TabularInline):
    model = TeamManager
    extra = 0
    fields = ["user"]
    verbose_name = "additional manager"
    verbose_name_plural = "additional managers"


@admin.register(Team)
class TeamAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["name", "manager"]
    search_fields = ["name"]
    fields = ["name", "description", "manager"]
    inlines = [TeamMemberInline, TeamManagerInline]


@admin.register(Membership)
class MembershipAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["user", "is_org_admin", "is_coach", "is_qa_analyst", "is_skill_admin",
                    "is_learning_admin", "is_agent"]
    list_filter = ["is_org_admin", "is_coach", "is_agent"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "is_org_admin", "is_coach", "is_qa_analyst", "is_skill_admin",
              "is_learning_admin", "is_agent"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers manage every account; an org admin sees the members of their organization."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_superuser(request):
            return qs
        return qs.filter(memberships__organization=_admin_org(request)).distinct()

    def get_fieldsets(self, request, obj=None):
        if _is_superuser(request):
            return super().get_fieldsets(request, obj)
        if obj is None:
            return self.add_fieldsets
        return [
            (None, {"fields": ["username", "password"]}),
            ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
            ("Status", {"fields": ["is_active"]}),
        ]

    def has_module_permission(self, request):
        return _is_superuser(request) or (request.user.is_staff and _admin_org(request) is not None)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not _is_superuser(request):
            return False
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return _is_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return _is_superuser(request)


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Tokens are created with the command or the settings page (the key is shown once);
    here they can be inspected and revoked."""

    list_display = ["name", "key_prefix", "created_by", "created_at", "last_used_at",
                    "revoked_at"]
    fields = ["name", "key_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        from .services import revoke_api_token

        for token in queryset:
            revoke_api_token(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")
