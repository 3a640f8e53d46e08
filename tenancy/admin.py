"""Django admin for tenancy: organizations, users, memberships, teams, invitations, tokens.

Every write goes through ``tenancy.services``, so the admin keeps the same rules as the
web pages: an organization keeps an org admin, a removed member leaves their teams, team
managers are coaches or org admins. An org admin never changes the sign-in details of an
account shared with another organization, and never grants staff or superuser status.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import construct_change_message, unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse

from . import services
from .admin_mixins import (
    RecordAdminMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    _admin_org,
    _is_superuser,
)
from .enums import Role
from .models import (
    ApiToken,
    Invitation,
    Membership,
    Organization,
    Team,
    TeamManager,
    TeamMember,
    User,
)
from .selectors import account_is_shared


def _may_manage_teams(queryset, request):
    """Limit user choices to the coaches and org admins of the admin's organization."""
    if _is_superuser(request):
        return queryset
    return queryset.filter(
        Q(memberships__is_coach=True) | Q(memberships__is_org_admin=True),
        memberships__organization=_admin_org(request),
    ).distinct()


def _change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "created_at"]
    search_fields = ["name", "slug"]
    fields = ["name", "slug", "timezone", "weekend_days", "settings"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_superuser(request):
            return qs
        return qs.filter(pk=getattr(_admin_org(request), "pk", None))

    def get_readonly_fields(self, request, obj=None):
        # The slug is the tenant's address; the settings belong to each app's settings page.
        return ["settings"] if obj is None else ["slug", "settings"]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_organization(organization=obj, name=obj.name, timezone=obj.timezone,
                                         weekend_days=obj.weekend_days)
        else:
            created = services.create_organization(name=obj.name, slug=obj.slug,
                                                   timezone=obj.timezone,
                                                   weekend_days=obj.weekend_days)
            obj.pk, obj._state.adding = created.pk, False

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


# --- teams -----------------------------------------------------------------------------


class TeamPeopleFormSet(BaseInlineFormSet):
    """The people of one inline, checked by the service's rules before anything is saved."""

    managers = False

    def clean(self):
        super().clean()
        if not self.instance.organization_id:
            return
        users = [
            form.cleaned_data["user"] for form in self.forms
            if getattr(form, "cleaned_data", {}).get("user") and not self._should_delete_form(form)
        ]
        people = {"managers": users} if self.managers else {"members": users}
        try:
            services.validate_team_people(organization=self.instance.organization, **people)
        except services.TenancyError as error:
            raise ValidationError(error.messages) from None


class TeamManagerFormSet(TeamPeopleFormSet):
    managers = True


class TeamMemberInline(TenantInlineMixin, admin.TabularInline):
    model = TeamMember
    formset = TeamPeopleFormSet
    extra = 1
    fields = ["user"]


class TeamManagerInline(TenantInlineMixin, admin.TabularInline):
    model = TeamManager
    formset = TeamManagerFormSet
    extra = 0
    fields = ["user"]
    verbose_name = "additional manager"
    verbose_name_plural = "additional managers"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            field.queryset = _may_manage_teams(field.queryset, request)
        return field


class TeamAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        organization = self.instance.organization if self.instance.organization_id else None
        if organization is None:
            return cleaned
        if cleaned.get("name"):
            try:
                services.validate_team_name(organization=organization, name=cleaned["name"],
                                            team=self.instance)
            except services.TenancyError as error:
                self.add_error("name", error.messages)
        if cleaned.get("manager"):
            try:
                services.validate_team_people(organization=organization,
                                              managers=[cleaned["manager"]])
            except services.TenancyError as error:
                self.add_error("manager", error.messages)
        return cleaned


@admin.register(Team)
class TeamAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = TeamAdminForm
    list_display = ["name", "manager"]
    search_fields = ["name"]
    fields = ["name", "description", "manager"]
    inlines = [TeamMemberInline, TeamManagerInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "manager":
            field.queryset = _may_manage_teams(field.queryset, request)
        return field

    def save_model(self, request, obj, form, change):
        """Saved with its people in :meth:`save_related`, in one call to the service."""

    def save_related(self, request, form, formsets, change):
        def chosen(model):
            return [
                f.cleaned_data["user"]
                for formset in formsets if formset.model is model
                for f in formset.forms
                if f.cleaned_data.get("user") and not formset._should_delete_form(f)
            ]

        team = form.instance
        services.save_team(
            organization=team.organization, team=team, name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""),
            manager=form.cleaned_data.get("manager"), members=chosen(TeamMember),
            additional_managers=chosen(TeamManager),
        )

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def delete_model(self, request, obj):
        services.delete_team(team=obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            services.delete_team(team=team)


# --- memberships -----------------------------------------------------------------------


ROLE_FIELDS = [f"is_{role.value}" for role in Role]


def _roles_from(cleaned_data) -> list[str]:
    return [role.value for role in Role if cleaned_data.get(f"is_{role.value}")]


class MembershipAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        roles = _roles_from(cleaned)
        try:
            if self.instance.pk:
                services.validate_member_roles(membership=self.instance, roles=roles)
            elif not roles:
                raise services.TenancyError("Give the member at least one role.")
        except services.TenancyError as error:
            raise ValidationError(error.messages) from None
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Roles change and members leave through the services. New people join through
    invitations (the members page): an org admin's user choices here are the
    organization's members already."""

    form = MembershipAdminForm
    list_display = ["user", *ROLE_FIELDS]
    list_filter = ["is_org_admin", "is_coach", "is_agent"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", *ROLE_FIELDS]
    actions = ["remove_members"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "user"] if obj is not None else readonly

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        # Django's bulk delete would bypass the service (and the last-admin rule).
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        roles = _roles_from(form.cleaned_data)
        if change:
            services.set_member_roles(membership=obj, roles=roles)
            if obj.teams_no_longer_managed:
                self.message_user(
                    request, f"{obj.user} no longer manages "
                             f"{', '.join(obj.teams_no_longer_managed)} (a team manager is a "
                             "coach or an organization admin).", messages.WARNING,
                )
        else:
            created = services.add_member(organization=obj.organization, user=obj.user,
                                          roles=roles)
            obj.pk, obj.joined_at, obj._state.adding = created.pk, created.joined_at, False

    def delete_view(self, request, object_id, extra_context=None):
        membership = self.get_object(request, unquote(object_id))
        if membership is not None and self.has_delete_permission(request, membership):
            try:
                services.validate_member_removal(membership=membership)
            except services.TenancyError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return redirect(_change_url(membership))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.remove_member(membership=obj)

    @admin.action(description="Remove selected members (they leave their teams too)",
                  permissions=["delete"])
    def remove_members(self, request, queryset):
        removed = 0
        for membership in queryset.select_related("user"):
            try:
                services.remove_member(membership=membership)
            except services.TenancyError as error:
                self.message_user(request, f"{membership.user}: {' '.join(error.messages)}",
                                  messages.ERROR)
            else:
                removed += 1
        if removed:
            self.message_user(request, f"{removed} member(s) removed.")


# --- accounts --------------------------------------------------------------------------


class SharedAccountChangeForm(UserChangeForm):
    """No password field (nor its link to the password form) for a shared account."""

    password = None


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superusers manage every account. An org admin sees the members of their organization
    and changes names; sign-in details (username, e-mail, password, status) only of accounts
    that belong to their organization alone; never staff or superuser status."""

    SHARED_NOTE = ("This account also belongs to another organization: its username, e-mail, "
                   "password and status are changed by its owner or a platform administrator.")

    def _is_shared(self, request, obj) -> bool:
        return obj is not None and (obj.is_superuser
                                    or account_is_shared(obj, _admin_org(request)))

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
        if self._is_shared(request, obj):
            return [
                (None, {"fields": ["username"], "description": self.SHARED_NOTE}),
                ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
                ("Status", {"fields": ["is_active"]}),
            ]
        return [
            (None, {"fields": ["username", "password"]}),
            ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
            ("Status", {"fields": ["is_active"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if not _is_superuser(request) and self._is_shared(request, obj):
            return ["username", "email", "is_active"]
        return super().get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if not _is_superuser(request) and self._is_shared(request, obj):
            kwargs["form"] = SharedAccountChangeForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if _is_superuser(request) or not change:
            return super().save_model(request, obj, form, change)
        services.update_account(
            account=obj, organization=_admin_org(request), editor=request.user,
            username=obj.username, email=obj.email, first_name=obj.first_name,
            last_name=obj.last_name, is_active=obj.is_active,
        )

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not _is_superuser(request):
            try:
                services.check_may_change_sign_in(account=user, organization=_admin_org(request),
                                                  editor=request.user)
            except services.TenancyError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return redirect(_change_url(user))
        return super().user_change_password(request, id, form_url)

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


# --- invitations and tokens (read-only records with one action) ------------------------


@admin.register(Invitation)
class InvitationAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Invitations are sent from the members page (the link goes only to the invitee);
    here they can be inspected and withdrawn."""

    list_display = ["email", "roles", "invited_by", "sent_at", "expires_at", "accepted_at",
                    "revoked_at"]
    list_filter = ["accepted_at", "revoked_at"]
    search_fields = ["email"]
    fields = ["email", "roles", "invited_by", "created_at", "sent_at", "expires_at",
              "accepted_at", "accepted_by", "revoked_at"]
    readonly_fields = fields
    actions = ["withdraw"]

    records_deletable = False

    @admin.action(description="Withdraw selected invitations")
    def withdraw(self, request, queryset):
        withdrawn = 0
        for invitation in queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True):
            services.revoke_invitation(invitation=invitation)
            withdrawn += 1
        self.message_user(request, f"{withdrawn} invitation(s) withdrawn.")


@admin.register(ApiToken)
class ApiTokenAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Tokens are created with the command or the settings page (the key is shown once);
    here they can be inspected and revoked."""

    list_display = ["name", "key_prefix", "created_by", "created_at", "last_used_at",
                    "revoked_at"]
    fields = ["name", "key_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    records_deletable = False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.revoke_api_token(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")
