"""Tenant-scoped Django admin for the skill catalogue, levels, holdings and history."""

from django import forms
from django.contrib import admin

from tenancy.admin_mixins import RecordAdminMixin, ServiceAdminMixin, TenantAdminMixin

from .models import Skill, SkillChange, SkillLevel, SkillReview, UserSkill
from .services import create_level, delete_level, save_skill, update_level, validate_skill


@admin.register(SkillLevel)
class SkillLevelAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Levels are added at the top of the scale and renamed or deleted through the
    catalogue services (a level in use is not deleted); the order changes on the scale
    page."""

    list_display = ["name", "rank", "description"]
    ordering = ["rank"]
    fields = ["name", "rank", "description"]
    readonly_fields = ["rank"]

    def save_model(self, request, obj, form, change):
        if change:
            update_level(level=obj, name=obj.name, description=obj.description)
        else:
            created = create_level(organization=obj.organization, name=obj.name,
                                   description=obj.description)
            obj.pk, obj.rank, obj._state.adding = created.pk, created.rank, False

    def delete_model(self, request, obj):
        delete_level(level=obj)


class SkillAdminForm(forms.ModelForm):
    """Applies the catalogue's rules (unique name, no cycle) to admin edits."""

    organization_for_new = None

    def clean(self):
        data = super().clean()
        organization = (self.instance.organization if self.instance.pk
                        else data.get("organization") or self.organization_for_new)
        if organization is not None and data.get("name"):
            validate_skill(organization=organization, skill=self.instance,
                           name=data["name"], parent=data.get("parent"))
        return data


@admin.register(Skill)
class SkillAdmin(ServiceAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    """Saved through ``save_skill``. Not deleted here (holdings, history and requirements
    refer to a skill): deactivate it instead."""

    form = SkillAdminForm
    list_display = ["name", "parent", "category", "skill_type", "active"]
    list_filter = ["skill_type", "active"]
    search_fields = ["name", "category"]
    fields = ["name", "description", "category", "skill_type", "parent", "active"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.organization_for_new = getattr(request, "organization", None)
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = save_skill(
            organization=obj.organization, skill=obj if change else None, name=data["name"],
            description=data.get("description", ""), category=data.get("category", ""),
            skill_type=data["skill_type"], parent=data.get("parent"),
            active=data.get("active", False),
        )
        obj.pk, obj._state.adding = saved.pk, False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UserSkill)
class UserSkillAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["user", "skill", "level", "source", "changed_at"]
    list_filter = ["source"]
    search_fields = ["user__username", "skill__name"]
    readonly_fields = ["user", "skill", "level", "source", "awarded_by", "acquired_at",
                       "changed_at"]

    def has_add_permission(self, request, *args):
        return False  # skills are awarded through the matrix, reviews or imports (history)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # lowering or removing a skill goes through the services (history)


@admin.register(SkillChange)
class SkillChangeAdmin(RecordAdminMixin, TenantAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "skill", "kind", "from_level", "to_level", "source",
                    "actor"]
    list_filter = ["kind", "source"]
    search_fields = ["user__username", "skill__name"]

    records_deletable = False


@admin.register(SkillReview)
class SkillReviewAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["user", "skill", "level", "state", "created_at", "decided_by"]
    list_filter = ["state"]
    readonly_fields = ["user", "skill", "level", "held_level", "justification", "state",
                       "decided_by", "decided_at", "decision_comment"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decided on the review page (skills.services.reviews)

    def has_delete_permission(self, request, obj=None):
        return False
