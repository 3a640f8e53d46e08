"""The skill matrix: agents × skills, with inline level edits (htmx) and a full-page form
when JavaScript is off."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from tenancy.enums import Role
from tenancy.people import suggestions
from tenancy.pseudonyms import peer_names
from tenancy.selectors import sees_everything

from .. import selectors, services
from ..forms import CellForm, MatrixFilterForm
from ..models import Skill
from .common import org_permission_required, org_url, parse_int


@org_permission_required("skills.view_matrix")
def matrix(request):
    all_visible = sees_everything(request.organization, request.user, Role.SKILL_ADMIN)
    names = peer_names(request)
    # People ordered by what is shown of them before they are paged (tenancy.pseudonyms).
    scope = selectors.matrix_scope(
        organization=request.organization, viewer=request.user,
        team_id=parse_int(request.GET.get("team")),
        order_people=names.sorted if names.active else None,
    )
    if scope is None:
        raise Http404("No such team.")
    filters = MatrixFilterForm(
        request.GET or None, teams=scope.teams, people=scope.people,
        people_qs=scope.people_qs, names=names, levels=scope.levels,
        categories=scope.categories, team_required=not all_visible,
    )
    if (answer := suggestions(request, filters)) is not None:  # the person box's type-ahead
        return answer
    person = None
    if filters.is_bound:
        filters.is_valid()  # odd values are ignored; only the person box says what is wrong
        person = filters.cleaned_data.get("user")
    data = selectors.matrix(
        organization=request.organization,
        viewer=request.user,
        user_id=person.pk if person else None,
        skill_type=request.GET.get("skill_type", ""),
        level_id=parse_int(request.GET.get("level")),
        category=request.GET.get("category", ""),
        page=request.GET.get("page"),
        scope=scope,
    )
    if names.active:
        for row in data.rows:
            row.label = names.label(row.user)
    if data.team is not None and not request.GET.get("team"):
        filters.initial["team"] = data.team.pk
    # The cell editor goes back to this team and page (parameters _cell_query reads).
    query = _cell_query({"team": data.team.pk if data.team is not None else "",
                         "page": data.page.number if data.page.number > 1 else ""})
    cell_base = reverse("skills:matrix_cell", kwargs={
        "org_slug": request.organization.slug, "user_id": 0, "skill_id": 0,
    }).removesuffix("0/0/")
    context = {
        "m": data,
        "row_cells": _cells_html(data, cell_base, query),
        "filters": filters,
        "cell_base": cell_base,
        "cell_query": query,
        "filtered": any(request.GET.get(k) for k in ("user", "skill_type", "level", "category")),
        "is_skill_owner": all_visible,
    }
    return render(request, "skills/matrix.html", context)


def _cell_query(params) -> str:
    """``?team=…&page=…`` of the digits among ``params`` ("" when none)."""
    kept = {k: str(params.get(k, "")) for k in ("team", "page")}
    kept = {k: v for k, v in kept.items() if v.isdigit()}
    return f"?{urlencode(kept)}" if kept else ""


def _cells_html(data, cell_base: str, query: str) -> list[str]:
    """Each row's cells as HTML, built in Python: 20,000 cells through the template engine
    take seconds, these f-strings a few milliseconds. Every text is escaped once."""
    skill_names = {s.pk: escape(s.name) for s in data.skills}
    level_names = {lv.pk: escape(lv.name) for lv in data.levels}
    level_ranks = {lv.pk: lv.rank for lv in data.levels}
    result = []
    for row in data.rows:
        label = escape(row.label)
        prefix = f"{cell_base}{row.user.pk}/"
        parts = []
        for c in row.cells:
            href = f"{prefix}{c.skill.pk}/{query}"
            name = skill_names[c.skill.pk]
            td = '<td class="dim">' if c.dimmed else "<td>"
            if c.level is not None:
                level = level_names[c.level.pk]
                link = (f'<a data-cell class="lv lv-{level_ranks[c.level.pk]}" '
                        f'href="{href}" aria-label="{label}, {name}: {level}. Change">'
                        f"{level}</a>")
            else:
                link = (f'<a data-cell class="cell-add" href="{href}" '
                        f'aria-label="{label}, {name}: not held. Add">Add</a>')
            marker = ""
            if c.marker is not None:
                marker = (f'<a class="badge text-bg-warning marker" '
                          f'href="{escape(c.marker.url or "#")}">{escape(c.marker.label)}</a>')
            parts.append(f"{td}{link}{marker}</td>")
        result.append(mark_safe("".join(parts)))  # noqa: S308 (every value escaped above)
    return result


def _cell_target(request, user_id: int, skill_id: int):
    user = selectors.agent_editable_by(
        organization=request.organization, viewer=request.user, user_id=user_id,
    )
    if user is None:
        raise Http404("No such person in your teams.")
    skill = get_object_or_404(Skill, pk=skill_id, active=True)
    return user, skill


@org_permission_required("skills.view_matrix")
def matrix_cell(request, user_id: int, skill_id: int):
    """GET: the edit form (a fragment for htmx, a page otherwise); ?show=1 the cell itself.
    POST: award, raise or — confirmed — lower, then the updated cell (or back to the matrix).
    """
    user, skill = _cell_target(request, user_id, skill_id)
    holding = selectors.matrix_cell(organization=request.organization, user=user, skill=skill)
    query = _cell_query(request.GET)
    back = org_url(request, "skills:matrix") + query
    form = CellForm(
        request.POST or None, organization=request.organization,
        initial={"level": holding.level if holding else None},
    )
    person_label = peer_names(request).label(user)
    context = {"person": user, "person_label": person_label, "skill": skill,
               "holding": holding, "form": form, "back": back,
               "cell_url": request.path + query,
               "show_url": request.path + (f"{query}&" if query else "?") + "show=1"}
    if request.method == "GET" and request.GET.get("show"):
        return render(request, "skills/partials/matrix_cell.html#cell", context)
    if request.method == "POST" and form.is_valid():
        try:
            holding = services.set_skill_level(
                user=user, skill=skill, level=form.cleaned_data["level"], actor=request.user,
                allow_lower=form.cleaned_data["lower"],
            )
        except services.SkillError as error:
            # The service's message names the person; say it as the page does.
            form.add_error("level", error.message.replace(str(user), person_label))
        else:
            if request.htmx:
                context.update(holding=holding, saved=True)
                return render(request, "skills/partials/matrix_cell.html#cell", context)
            level = holding.level.name if holding else "not held"
            messages.success(request, f"{person_label}: {skill.name} is now {level}.")
            return redirect(back)
    template = ("skills/partials/matrix_cell.html#editor" if request.htmx
                else "skills/matrix_cell_page.html")
    return render(request, template, context)
