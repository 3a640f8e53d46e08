"""A skill's overview: holders, requirements, experts, coverage, MTTR and its hierarchy."""

from django.shortcuts import get_object_or_404, render

from tenancy.pseudonyms import peer_names

from .. import extensions, selectors
from ..models import Skill
from .common import org_permission_required

PERIODS = [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months"), (0, "All time")]


@org_permission_required("skills.view_overview")
def skill_overview(request, pk: int):
    skill = get_object_or_404(Skill.objects.select_related("parent"), pk=pk)
    try:
        days = int(request.GET.get("period", 90))
    except ValueError:
        days = 90
    if days not in dict(PERIODS):
        days = 90
    data = selectors.overview(organization=request.organization, skill=skill, days=days or None,
                              holders_page=request.GET.get("holders", 1),
                              items_page=request.GET.get("items", 1),
                              experts_page=request.GET.get("experts", 1),
                              sort_name=names.sort_key if (names := peer_names(request)).active
                              else None)
    def others(param):  # the query string without ``param``, ready for "param=N"
        kept = request.GET.copy()
        kept.pop(param, None)
        return kept.urlencode() + "&" if kept else ""

    context = {
        "o": data,
        "holders_prefix": others("holders"),
        "items_prefix": others("items"),
        "experts_prefix": others("experts"),
        "skill": skill,
        "periods": PERIODS,
        "period": days,
        "sections": extensions.overview_sections(request, skill),
        "can_edit": request.user.has_perm("skills.manage_catalogue", request.organization),
    }
    return render(request, "skills/overview.html", context)
