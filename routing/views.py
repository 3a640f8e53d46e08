"""Routing pages: the "Suggested agents" panel on the work-item page, the coach's assign
action, the team load view and the org admin's routing settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from tenancy.models import User
from tenancy.pseudonyms import peer_names
from tenancy.views import org_permission_required, org_url
from work.models import WorkItem

from . import selectors, services
from .forms import RoutingSettingsForm


def suggested_agents_panel(request, item: WorkItem) -> str | None:
    """The panel work's item page shows (registered in ``apps.py``)."""
    if not request.user.has_perm("routing.view_suggestions", request.organization):
        return None
    context = {"item": item, "decision": selectors.latest_decision(item),
               "can_assign": request.user.has_perm("routing.assign", item)}
    try:
        context["ranking"] = selectors.rank_candidates(organization=request.organization,
                                                       item=item)
    except services.RoutingError as error:
        context["error"] = error.message
    names = peer_names(request)
    if names.active and context.get("ranking"):  # ties by what is shown, not by username
        context["ranking"].candidates.sort(key=lambda c: (
            *selectors._rank_key(c)[:-1], names.sort_key(c.user)))
    return render_to_string("routing/_suggested_agents.html", context, request=request)


@require_POST
@org_permission_required("routing.view_suggestions")
def assign(request, pk: int):
    item = WorkItem.objects.select_related("team").filter(pk=pk).first()
    if item is None or not request.user.has_perm("routing.assign", item):
        raise Http404("No such work item.")
    agent = User.objects.filter(username=request.POST.get("agent", "")).first()
    try:
        if agent is None:
            raise services.RoutingError("Choose an agent from the suggestions.")
        decision = services.assign_to_candidate(organization=request.organization, item=item,
                                                agent=agent, actor=request.user)
    except services.RoutingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{item.label} assigned to {decision.assigned_to.username}.")
    return redirect(org_url(request, "work:detail", pk=item.pk))


@org_permission_required("routing.view_team_load")
def team_load(request):
    organization = request.organization
    # Five teams a page (by name), with the shared pager.
    page = Paginator(selectors.teams_for_load(organization, request.user), 5).get_page(
        request.GET.get("page"))
    settings = selectors.routing_settings(organization)
    context = {"loads": selectors.team_load(organization, list(page.object_list)),
               "page": page, "settings": settings,
               "can_configure": request.user.has_perm("routing.manage_settings", organization)}
    return render(request, "routing/team_load.html", context)


@org_permission_required("routing.manage_settings")
def routing_settings(request):
    organization = request.organization
    current = selectors.routing_settings(organization)
    initial = {**current.as_json(), **{f"max_open_{k}": v
                                       for k, v in current.max_open_by_kind.items()}}
    form = RoutingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.set_routing_settings(
                organization=organization, auto_assign=data["auto_assign"],
                when_nobody_qualifies=data["when_nobody_qualifies"], pool=data["pool"],
                max_open=data["max_open"], max_open_by_kind=form.by_kind(),
            )
        except services.RoutingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Routing settings saved.")
            return redirect(org_url(request, "routing:settings"))
    return render(request, "routing/settings.html", {"form": form})
