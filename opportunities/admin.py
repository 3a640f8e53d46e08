"""Tenant-scoped admin for opportunities: the condition is validated like everywhere else."""


from django import forms
from django.contrib import admin

from tenancy.admin_mixins import TenantAdminMixin, TenantInlineMixin

from . import conditions
from .fields import work_item_fields
from .models import CoachingOpportunity, OpportunityMatch, OpportunitySkill, VirtualCoach
from .selectors import forget_active_opportunities


class OpportunityAdminForm(forms.ModelForm):
    class Meta:
        model = CoachingOpportunity
        fields = [
            "name", "description", "active", "kinds", "fires_on", "condition", "coach_choice",
            "named_coach", "due_in_days", "suppress_days", "sample_rate", "exempt_first_days",
            "courses", "coach_survey", "trainee_survey",
        ]

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


class VirtualCoachInline(TenantInlineMixin, admin.StackedInline):
    model = VirtualCoach
    extra = 0


@admin.register(CoachingOpportunity)
class CoachingOpportunityAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = OpportunityAdminForm
    list_display = ["name", "active", "fires_on", "coach_choice", "sample_rate"]
    list_filter = ["active", "fires_on"]
    search_fields = ["name"]
    inlines = [OpportunitySkillInline, VirtualCoachInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_active_opportunities(obj.organization_id)

    def delete_model(self, request, obj):
        organization_id = obj.organization_id
        super().delete_model(request, obj)
        forget_active_opportunities(organization_id)


@admin.register(OpportunityMatch)
class OpportunityMatchAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["opportunity", "work_item", "agent", "outcome", "matched_at"]
    list_filter = ["outcome"]
    readonly_fields = ["opportunity", "work_item", "event", "agent", "outcome",
                       "assessment_id", "matched_at"]

    def has_add_permission(self, request, *args):
        return False


