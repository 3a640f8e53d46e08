"""The tenant-scoped Django admin, as a mixin every app's ModelAdmin uses.

An org admin with staff status sees and edits only rows of the organization they
administer (see ``tenancy.middleware.admin_organization``); the organization is set on
save and never editable; foreign-key and many-to-many choices are limited to the same
organization. Platform superusers see every tenant with an organization filter.

The middleware also runs the whole admin request inside the admin's tenant scope, so a
widget, lookup or hand-edited URL that reaches a scoped manager stays inside the tenant.
"""

from dataclasses import replace

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect

from .errors import DomainError, add_service_error
from .models import Organization, TenantModel, User
from .validation import bounded_formfield


def _is_superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def _admin_org(request) -> Organization | None:
    return getattr(request, "organization", None)


def _can_administer(request) -> bool:
    if _is_superuser(request):
        return True
    return request.user.is_active and request.user.is_staff and _admin_org(request) is not None


class TenantAdminMixin:
    """Mixin for ``admin.ModelAdmin`` of a :class:`TenantModel`."""

    def get_queryset(self, request):
        qs = self.model._base_manager.all() if _is_superuser(request) else None
        if qs is None:
            qs = self.model._base_manager.filter(organization=_admin_org(request))
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if _is_superuser(request) and "organization" not in filters:
            filters.insert(0, "organization")
        return filters

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        if _is_superuser(request) and "organization" not in display:
            display.append("organization")
        return display

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "organization"]
        if _is_superuser(request):
            fields.insert(0, "organization")
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if _is_superuser(request) and obj is not None:
            readonly.append("organization")
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        choose_organization = _is_superuser(request) and obj is None
        if choose_organization:
            # organization is editable=False, so a ModelForm refuses it as a model field;
            # superusers choose it through a plain form field instead.
            # Django itself asks with fields=None (to list the fields): keep that as it is,
            # or listing the fields asks for the form again, endlessly (a 500 on the add page
            # of every admin without declared fields).
            if "fields" not in kwargs:
                kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
            if kwargs["fields"] is not None:
                kwargs["fields"] = [f for f in kwargs["fields"] if f != "organization"]
        form = super().get_form(request, obj, change=change, **kwargs)
        return _tenant_form(
            form,
            fixed_organization=None if _is_superuser(request) else _admin_org(request),
            choose_organization=choose_organization,
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Dates in the sane range and JSON without NUL, as in every other form.
        return bounded_formfield(super().formfield_for_dbfield(db_field, request, **kwargs))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs["queryset"] = _limit_choices(db_field.related_model, request, kwargs.get("queryset"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs["queryset"] = _limit_choices(db_field.related_model, request, kwargs.get("queryset"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not _is_superuser(request):
            obj.organization = _admin_org(request)
        elif not change and "organization" in form.cleaned_data:
            obj.organization = form.cleaned_data["organization"]
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, TenantModel) and not instance.organization_id:
                instance.organization = form.instance.organization
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def has_module_permission(self, request):
        return _can_administer(request)

    def has_view_permission(self, request, obj=None):
        return _can_administer(request) and self._owns(request, obj)

    def has_add_permission(self, request, *args):
        return _can_administer(request)

    def has_change_permission(self, request, obj=None):
        return _can_administer(request) and self._owns(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _can_administer(request) and self._owns(request, obj)

    def _owns(self, request, obj) -> bool:
        if obj is None or _is_superuser(request):
            return True
        return obj.organization_id == getattr(_admin_org(request), "pk", None)


class RecordAdminMixin:
    """For records only services write (decisions, events, handler runs, logs): the admin
    shows them, never adds or edits one, and deletes one only where ``records_deletable``
    (histories and credentials are never deleted here). Put it before
    :class:`TenantAdminMixin`."""

    records_deletable = True

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.records_deletable and super().has_delete_permission(request, obj)


class ServiceAdminMixin:
    """For admins whose save_model/save_related/delete_model call services.

    A service's refusal (a :class:`DomainError`) rolls the admin's transaction back, so
    nothing is saved, and the form is shown again with what the user typed and the
    refusal next to its field (or above the form). A refused delete is an error message.
    The bulk delete action deletes each row through ``delete_model`` and names the rows
    refused. Put it before :class:`TenantAdminMixin`.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            # The first pass rolled back. Validate the same POST again with the refusal as a
            # form error: Django then renders the bound form and saves nothing.
            request._service_refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_service_error(self, refusal)
                return cleaned_data

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions:
            actions["delete_selected"] = replace(actions["delete_selected"],
                                                 func=_delete_through_services)
        return actions


def _delete_through_services(modeladmin, request, queryset):
    """Django's bulk delete, but row by row through ``delete_model`` (the service): the
    confirmation and protected-rows pages stay Django's; a refused row stays, is named in
    an error message, and is not logged as deleted."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)
    _, _, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
    if protected:
        return delete_selected(modeladmin, request, queryset)
    if perms_needed:
        raise PermissionDenied
    rows, deleted = list(queryset), 0
    for obj in rows:
        try:
            with transaction.atomic():
                modeladmin.log_deletions(request, [obj])
                modeladmin.delete_model(request, obj)
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            deleted += 1
    if deleted:
        modeladmin.message_user(request, f"Deleted {deleted} of {len(rows)} "
                                         f"{modeladmin.opts.verbose_name_plural}.",
                                messages.SUCCESS)
    return None


def kept_rows(formsets, model) -> list[dict]:
    """The cleaned rows of ``model``'s inline that are filled in and not marked deleted:
    what a ``save_related`` hands to a service instead of saving the formset."""
    return [
        form.cleaned_data
        for formset in formsets if formset.model is model
        for form in formset.forms
        if form.has_changed() or form.instance.pk
        if form.cleaned_data and not formset._should_delete_form(form)
    ]


class TenantInlineMixin(TenantAdminMixin):
    """Mixin for inlines of tenant-owned rows inside a tenant-owned parent."""

    def get_fields(self, request, obj=None):
        return [f for f in admin.options.InlineModelAdmin.get_fields(self, request, obj)
                if f != "organization"]


def _tenant_form(form_class, *, fixed_organization, choose_organization: bool):
    """The admin's ModelForm, validated with its organization set.

    Without this the organization (not a form field) is left out of model validation, so
    a constraint such as a team name unique per organization surfaced as an IntegrityError
    instead of a form error.
    """

    class TenantForm(form_class):
        if choose_organization:
            organization = forms.ModelChoiceField(queryset=Organization.objects.all())

        def _set_organization(self):
            chosen = fixed_organization or self.cleaned_data.get("organization")
            if chosen is not None and not self.instance.organization_id:
                self.instance.organization = chosen

        def _clean_form(self):
            # Before clean(), so a form's own checks (a service's validation) know the tenant.
            self._set_organization()
            super()._clean_form()

        def _post_clean(self):
            self._set_organization()
            super()._post_clean()

        def _get_validation_exclusions(self):
            exclude = super()._get_validation_exclusions()
            if self.instance.organization_id:
                exclude.discard("organization")
            return exclude

    TenantForm.__name__ = form_class.__name__
    return TenantForm


def _limit_choices(model, request, queryset):
    """Choices of a related model: same organization, or members of it for users."""
    base = queryset if queryset is not None else model._base_manager.all()
    if _is_superuser(request):
        return base
    organization = _admin_org(request)
    if model is User:
        return base.filter(memberships__organization=organization).distinct()
    if model is Organization:
        return base.filter(pk=getattr(organization, "pk", None))
    if issubclass(model, TenantModel):
        return base.filter(organization=organization)
    return base
