"""Routing pages: the "Suggested agents" panel on the work-item page, the coach's assign
action, the team load view and the org admin's routing settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from tenancy.models import TeamMember, User
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


LOAD_PAGE_SIZE = 50


def _agent_loads(organization, members: list) -> list[dict]:
    """``{"team", "user", "by_kind", "total"}`` of each team membership shown, from the
    open items routing keeps per agent and kind (``AgentOpenItems``, moved with every
    ingest write; not a count over the work items, which grows with history): one query
    for the page's agents."""
    from .models import AgentOpenItems

    by_user: dict[int, dict[str, int]] = {}
    for user_id, kind, n in AgentOpenItems.objects.filter(
            organization=organization, open_items__gt=0,
            user_id__in={m.user_id for m in members},
    ).order_by("kind").values_list("user_id", "kind", "open_items"):
        by_user.setdefault(user_id, {})[kind] = n
    return [{"team": m.team, "user": m.user, "by_kind": by_user.get(m.user_id, {}),
             "total": sum(by_user.get(m.user_id, {}).values())} for m in members]


@org_permission_required("routing.view_team_load")
def team_load(request):
    """Open items per agent: 50 agents a page by team name and username (one team or
    all the viewer sees), with the shared pager; the queries are the same on any page."""
    organization = request.organization
    teams = list(selectors.teams_for_load(organization, request.user)
                 .annotate(member_count=Count("memberships")))
    team = next((t for t in teams if str(t.pk) == request.GET.get("team")), None)
    members = (TeamMember.objects.filter(organization=organization,
                                         team__in=[team] if team else teams)
               .select_related("team__manager", "user")
               .order_by("team__name", "team_id", "user__username", "user_id"))
    page = Paginator(members, LOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"rows": _agent_loads(organization, list(page.object_list)), "page": page,
               "teams": teams, "team": team,
               "empty_teams": [t for t in ([team] if team else teams) if not t.member_count],
               "settings": selectors.routing_settings(organization),
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
