"""Tenant-scoped admin for opportunities: the condition is validated like everywhere else."""


from django import forms
from django.contrib import admin

from tenancy.admin_mixins import RecordAdminMixin, TenantAdminMixin, TenantInlineMixin

from . import conditions
from .fields import work_item_fields
from .models import (
    CoachingOpportunity,
    OpportunityCourse,
    OpportunityMatch,
    OpportunitySkill,
    VirtualCoach,
)
from .selectors import forget_active_opportunities

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
class CoachingOpportunityAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = OpportunityAdminForm
    fields = ADMIN_FIELDS
    list_display = ["name", "active", "fires_on", "coach_choice", "sample_rate"]
    list_filter = ["active", "fires_on"]
    search_fields = ["name"]
    inlines = [OpportunitySkillInline, OpportunityCourseInline, VirtualCoachInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_active_opportunities(obj.organization_id)

    def delete_model(self, request, obj):
        organization_id = obj.organization_id
        super().delete_model(request, obj)
        forget_active_opportunities(organization_id)


@admin.register(OpportunityMatch)
class OpportunityMatchAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["opportunity", "work_item", "agent", "outcome", "matched_at"]
    list_filter = ["outcome"]
    readonly_fields = ["opportunity", "work_item", "event", "agent", "outcome", "matched_at"]


