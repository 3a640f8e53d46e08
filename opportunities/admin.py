"""Tenant-scoped admin for opportunities: saved and deleted through the opportunity
services (the same checks as the opportunity pages and imports)."""


from django import forms
from django.contrib import admin
from django.contrib.admin.utils import construct_change_message

from tenancy.admin_mixins import (
    RecordAdminMixin,
    ServiceAdminMixin,
    TenantAdminMixin,
    TenantInlineMixin,
    kept_rows,
)

from . import conditions
from .fields import work_item_fields
from .models import (
    CoachingOpportunity,
    OpportunityCourse,
    OpportunityMatch,
    OpportunitySkill,
    VirtualCoach,
)
from .services import OpportunityData, delete_opportunity, save_opportunity

ADMIN_FIELDS = [
    "name", "description", "active", "kinds", "fires_on", "condition", "coach_choice",
    "named_coach", "due_in_days", "suppress_days", "sample_rate", "exempt_first_days",
    "coach_survey", "trainee_survey",
]


class OpportunityAdminForm(forms.ModelForm):
    class Meta:
        model = CoachingOpportunity
        # The survey fields come from the ModelAdmin at request time, when the tenant
        # scope is active and their choices are limited to the admin's organization.
        fields = [f for f in ADMIN_FIELDS if f not in ("coach_survey", "trainee_survey")]

    def clean(self):
        cleaned = super().clean()
        organization_id = self.instance.organization_id or getattr(
            cleaned.get("organization"), "pk", None)
        for name in ("coach_survey", "trainee_survey"):
            template = cleaned.get(name)
            if template is not None and organization_id is not None \
                    and template.organization_id != organization_id:
                self.add_error(name, "Choose a survey of this organization.")
        return cleaned

    def clean_condition(self):
        condition = self.cleaned_data["condition"]
        try:
            conditions.validate(condition, work_item_fields())
        except conditions.ConditionError as error:
            raise forms.ValidationError(str(error)) from None
        return condition

    def clean_kinds(self):
        from work.enums import WorkKind

        kinds = self.cleaned_data["kinds"] or []
        if not isinstance(kinds, list) or any(k not in WorkKind.values for k in kinds):
            raise forms.ValidationError(
                f"A list of work-item kinds: {', '.join(WorkKind.values)}.")
        return kinds


class OpportunitySkillInline(TenantInlineMixin, admin.TabularInline):
    model = OpportunitySkill
    extra = 0


class OpportunityCourseInline(TenantInlineMixin, admin.TabularInline):
    model = OpportunityCourse
    extra = 0
    verbose_name = "course on completion"
    verbose_name_plural = "training on completion"


class VirtualCoachInline(TenantInlineMixin, admin.StackedInline):
    model = VirtualCoach
    extra = 0


@admin.register(CoachingOpportunity)
class CoachingOpportunityAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    form = OpportunityAdminForm
    fields = ADMIN_FIELDS
    list_display = ["name", "active", "fires_on", "coach_choice", "sample_rate"]
    list_filter = ["active", "fires_on"]
    search_fields = ["name"]
    inlines = [OpportunitySkillInline, OpportunityCourseInline, VirtualCoachInline]

    def save_model(self, request, obj, form, change):
        """Saved with its skills, courses and virtual coach in :meth:`save_related`."""

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        virtual = kept_rows(formsets, VirtualCoach)
        saved = save_opportunity(
            organization=form.instance.organization,
            opportunity=form.instance if change else None,
            data=OpportunityData(
                **{name: data[name] for name in ADMIN_FIELDS if name in data},
                skills=[(row["skill"], row["level"])
                        for row in kept_rows(formsets, OpportunitySkill)],
                courses=[row["course"] for row in kept_rows(formsets, OpportunityCourse)],
                virtual_coach_name=virtual[0]["name"] if virtual else "",
            ),
        )
        form.instance.pk, form.instance._state.adding = saved.pk, False

    def construct_change_message(self, request, form, formsets, add=False):
        return construct_change_message(form, [], add)

    def delete_model(self, request, obj):
        delete_opportunity(opportunity=obj)


@admin.register(OpportunityMatch)
class OpportunityMatchAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["opportunity", "work_item", "agent", "outcome", "matched_at"]
    list_filter = ["outcome"]
    readonly_fields = ["opportunity", "work_item", "event", "agent", "outcome", "matched_at"]


