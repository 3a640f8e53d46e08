"""The coaching monitor (supervisors, QA analysts, org admins; never agents): one row per
coaching assignment with scores at the assigned date and now, a Compare toggle, filters
(one date filter at a time) applied through htmx with a full-page fallback; one
assignment's progress and coaching-effect panel; the effect card of the coaching
overview (loaded after the page, so the overview stays fast)."""

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.pseudonyms import peer_names
from tenancy.views import org_permission_required
from tenancy.widgets import FastSelectMultiple

from . import charts_monitor
from . import selectors_assignments as sel
from . import selectors_monitor as monitor
from .models import CoachingAssignment

MANAGE = "coaching.manage_coaching_assignments"


class MonitorFilterForm(forms.Form):
    date_field = forms.ChoiceField(
        label="Filter by", required=False, widget=forms.RadioSelect,
        choices=[("assigned", "Assigned date"), ("follow_up", "Follow-up date")])
    date_from = forms.DateField(label="From", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    attribute = forms.MultipleChoiceField(label="Attributes", required=False)
    team = forms.TypedMultipleChoiceField(label="Teams", required=False, coerce=int)
    agent = forms.TypedMultipleChoiceField(label="Agents", required=False, coerce=int,
                                           widget=FastSelectMultiple)  # every agent: fast
    compare = forms.BooleanField(label="Compare", required=False)

    def __init__(self, *args, areas, teams, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attribute"].choices = areas
        self.fields["team"].choices = teams
        self.fields["agent"].choices = agents
        for name in ("attribute", "team", "agent"):
            self.fields[name].widget.attrs.update({"class": "form-select form-select-sm",
                                                   "size": 5})
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _today(request):
    return timezone.localdate(timezone=request.organization.tzinfo)


@org_permission_required(MANAGE)
def monitor_page(request):
    organization, user, today = request.organization, request.user, _today(request)
    choices = monitor.filter_choices(organization, user)
    choices["agents"] = peer_names(request).choices(choices["agents"])
    form = MonitorFilterForm(request.GET or None, areas=sel.available_areas(organization),
                             teams=choices["teams"], agents=choices["agents"])
    date_field, filters, compare = "assigned", None, False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        date_field = data["date_field"] or "assigned"
        default_from, default_to = monitor.default_range(date_field, today)
        filters = monitor.MonitorFilters(
            date_field=date_field, date_from=data["date_from"] or default_from,
            date_to=data["date_to"] or default_to, attributes=tuple(data["attribute"]),
            teams=tuple(data["team"]), agents=tuple(data["agent"]))
        compare = data["compare"]
    if filters is None:  # unbound, or invalid: the defaults (the form shows its errors)
        start, end = monitor.default_range(date_field, today)
        filters = monitor.MonitorFilters(date_field=date_field, date_from=start, date_to=end)
        if not form.is_bound:
            form = MonitorFilterForm(initial={"date_field": "assigned", "date_from": start,
                                              "date_to": end},
                                     areas=sel.available_areas(organization),
                                     teams=choices["teams"], agents=choices["agents"])
    page, rows = monitor.monitor_page(organization, user, filters, today,
                                      request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "filters": filters, "rows": rows, "page": page, "compare": compare,
        "query": query.urlencode(), "today": today,
        "defaults": {name: monitor.default_range(name, today)
                     for name in ("assigned", "follow_up")},
    }
    template = "coaching/monitor_rows.html" if request.htmx else "coaching/monitor.html"
    return render(request, template, context, status=400 if form.errors else 200)


def _monitored(request, pk: int) -> CoachingAssignment:
    assignment = (sel.supervised_assignments(request.organization, request.user)
                  .select_related("agent", "assigner").prefetch_related("areas")
                  .filter(pk=pk).first())
    if assignment is None:
        raise Http404("No such coaching assignment.")
    return assignment


@org_permission_required(MANAGE)
def monitor_detail(request, pk: int):
    """Agent progress and the coaching effect of one assignment (a panel under htmx)."""
    assignment = _monitored(request, pk)
    record_access(request, subject=assignment.agent_id, kind=AccessKind.ASSIGNMENT,
                  obj=assignment, label=f"Progress of {assignment.name}")
    progress = monitor.assignment_progress(request.organization, assignment, _today(request))
    context = {
        "assignment": assignment, "progress": progress, "row": progress.row,
        "chart": charts_monitor.before_after(progress.row.effect),
        "area_charts": [(area, detail, charts_monitor.before_after(detail.effect))
                        for area, detail in progress.area_effects],
    }
    template = "coaching/monitor_panel.html" if request.htmx else "coaching/monitor_detail.html"
    return render(request, template, context)


@org_permission_required(MANAGE)
def monitor_effects(request):
    """The coaching effect per coach, area and team (the overview's card, or a page)."""
    overview = monitor.effect_overview(request.organization, request.user, _today(request))
    template = ("coaching/monitor_effects_card.html" if request.htmx
                else "coaching/monitor_effects.html")
    return render(request, template, {"overview": overview})
