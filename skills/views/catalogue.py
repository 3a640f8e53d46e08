"""The skill admin's pages: the catalogue with its hierarchy, and the level scale."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..forms import LevelForm, SkillForm
from ..models import Skill, SkillLevel
from .common import org_permission_required, org_url


@org_permission_required("skills.view_overview")
def catalogue(request):
    skills = list(selectors.catalogue(request.organization))
    show = request.GET.get("show", "active")
    visible = [s for s in skills if s.active] if show == "active" else skills
    rows = selectors.flatten_forest(selectors.skill_forest(visible))
    context = {
        "rows": rows,
        "show": show,
        "total": len(skills),
        "retired": sum(1 for s in skills if not s.active),
        "can_edit": request.user.has_perm("skills.manage_catalogue", request.organization),
    }
    return render(request, "skills/catalogue.html", context)


@org_permission_required("skills.manage_catalogue")
def skill_edit(request, pk: int | None = None):
    skill = get_object_or_404(Skill, pk=pk) if pk is not None else None
    initial = {"active": True, "skill_type": "technical"}
    if skill is not None:
        initial = {
            "name": skill.name, "description": skill.description, "category": skill.category,
            "skill_type": skill.skill_type, "parent": skill.parent, "active": skill.active,
        }
    elif request.GET.get("parent", "").isdigit():
        initial["parent"] = Skill.objects.filter(pk=request.GET["parent"]).first()
    form = SkillForm(request.POST or None, organization=request.organization, skill=skill,
                     initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_skill(organization=request.organization, skill=skill,
                                        **form.cleaned_data)
        except services.SkillError as error:
            field = "parent" if "parent" in error.message or "cycle" in error.message else "name"
            form.add_error(field, error.message)
        else:
            messages.success(request, f"Skill “{saved.name}” saved.")
            return redirect(org_url(request, "skills:overview", pk=saved.pk))
    return render(request, "skills/skill_form.html", {"form": form, "skill": skill})


@org_permission_required("skills.manage_catalogue")
def level_list(request):
    services.ensure_level_scale(organization=request.organization)
    form = LevelForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            level = services.create_level(organization=request.organization,
                                          **form.cleaned_data)
        except services.SkillError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"Level “{level.name}” added at the top of the scale.")
            return redirect(org_url(request, "skills:levels"))
    levels = list(reversed(selectors.levels(request.organization)))
    return render(request, "skills/levels.html", {"levels": levels, "form": form})


@org_permission_required("skills.manage_catalogue")
def level_edit(request, pk: int):
    level = get_object_or_404(SkillLevel, pk=pk)
    form = LevelForm(request.POST or None,
                     initial={"name": level.name, "description": level.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_level(level=level, **form.cleaned_data)
        except services.SkillError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"Level “{level.name}” saved.")
            return redirect(org_url(request, "skills:levels"))
    return render(request, "skills/level_form.html", {"form": form, "level": level})


@require_POST
@org_permission_required("skills.manage_catalogue")
def level_move(request, pk: int, direction: str):
    level = get_object_or_404(SkillLevel, pk=pk)
    try:
        services.move_level(level=level, direction=direction)
    except services.SkillError as error:
        messages.error(request, error.message)
    return redirect(org_url(request, "skills:levels"))


@require_POST
@org_permission_required("skills.manage_catalogue")
def level_delete(request, pk: int):
    level = get_object_or_404(SkillLevel, pk=pk)
    try:
        services.delete_level(level=level)
    except services.SkillError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Level “{level.name}” deleted.")
    return redirect(org_url(request, "skills:levels"))
