"""The Django admin's "access attempts" of django-axes, tenant-scoped: where an admin unlocks
a sign-in locked after too many wrong passwords (``tenancy.throttling``).

Superusers see every username tried from every address. An org admin sees only attempts
on the usernames of their organization's members (an unknown name tried by a stranger is
none of theirs) and unlocks them; nobody adds or edits attempts by hand. Registered from
``TenancyConfig.ready`` (axes' own admin is switched off with ``AXES_ENABLE_ADMIN``).
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib import admin

from .admin_mixins import _admin_org, _can_administer, _is_superuser
from .models import User


class LoginLockoutAdmin(AccessAttemptAdmin):
    actions = ["unlock"]

    def get_queryset(self, request):
        attempts = super().get_queryset(request)
        if _is_superuser(request):
            return attempts
        members = User.objects.filter(memberships__organization=_admin_org(request))
        return attempts.filter(username__in=members.values("username"))

    def has_module_permission(self, request):
        return _can_administer(request)

    def has_view_permission(self, request, obj=None):
        return _can_administer(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.action(description="Unlock: forget the failed sign-ins of the selected rows",
                  permissions=["delete"])
    def unlock(self, request, queryset):
        unlocked = 0
        for attempt in queryset:
            unlocked += reset(ip=attempt.ip_address, username=attempt.username)
        self.message_user(request, f"{unlocked} sign-in lock(s) lifted.")


def register() -> None:
    if not admin.site.is_registered(AccessAttempt):
        admin.site.register(AccessAttempt, LoginLockoutAdmin)
