"""The coaching backlog pages: every open coaching item (org admins see all, coaches the
items of the agents they coach and the unassigned ones; everyone else gets 404), claiming
and assigning unassigned assessments from it, its SLA settings and the coaches' capacity
(org admins only)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.errors import DomainError, add_service_error
from tenancy.forms import BootstrapMixin
from tenancy.models import Membership
from tenancy.selectors import sees_everything
from tenancy.views import org_url

from . import selectors, selectors_backlog
from .selectors_backlog import (
    CAPACITY_BOUNDS,
    KIND_CHOICES,
    SLA_HOURS_BOUNDS,
    BacklogFilters,
)
from .services import AssessmentError, claim_assessment
from .services.backlog import set_coach_capacity, update_backlog_settings

PAGE_SIZE = 50


def _require_backlog(request) -> None:
    if not selectors_backlog.may_see_backlog(request.organization, request.user):
        raise Http404("No such page.")


def _require_admin(request) -> None:
    if not sees_everything(request.organization, request.user):
        raise Http404("No such page.")


class BacklogFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="Kind", required=False,
                             choices=[("", "Every kind"), *KIND_CHOICES])
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    owner = forms.ChoiceField(label="Owner", required=False)

    def __init__(self, *args, teams, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Every team"), *((t.pk, t.name) for t in teams)]
        self.fields["owner"].choices = [("", "Anyone"), ("unassigned", "Unassigned"),
                                        *((str(u.pk), str(u)) for u in owners)]


def backlog(request):
    _require_backlog(request)
    organization, user = request.organization, request.user
    is_admin = sees_everything(organization, user)
    coaches = selectors_backlog.organization_coaches(organization) if is_admin else [user]
    form = BacklogFilterForm(request.GET or None,
                             teams=selectors_backlog.filter_teams(organization, user),
                             owners=coaches)
    filters = BacklogFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = BacklogFilters(kind=data["kind"], team=data["team"], owner=data["owner"])
    data = selectors_backlog.backlog(organization=organization, user=user, filters=filters)
    page = Paginator(data.items, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors_backlog.load_shown(organization, data, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "backlog": data, "page": page, "query": query.urlencode(),
        "here": request.get_full_path(), "is_admin": is_admin,
        "is_coach": request.membership.is_coach,
        "claim_coaches": coaches if is_admin else [],
        "settings": selectors_backlog.backlog_settings(organization),
        "kinds": [(label, data.totals.get(key, 0)) for key, label in KIND_CHOICES],
        "cap": selectors_backlog.KIND_CAP,
    }
    template = "coaching/backlog_rows.html" if request.htmx else "coaching/backlog.html"
    return render(request, template, context)


def _back(request):
    """Back to the backlog page the form was posted from (same filters and page)."""
    url = org_url(request, "coaching:backlog")
    query = request.POST.get("query", "")
    return redirect(f"{url}?{query}" if query else url)


@require_POST
def backlog_claim(request, pk: int):
    """Claim an unassigned assessment for oneself, or (org admins) give it to a coach; the
    service decides what is allowed. An assessment the user may not see: 404."""
    _require_backlog(request)
    managed = selectors.managed_assessments(organization=request.organization,
                                            user=request.user)
    assessment = managed.filter(pk=pk).first()
    if assessment is None:
        raise Http404("No such assessment.")
    coach = None
    if request.POST.get("coach"):
        membership = Membership.objects.filter(
            organization=request.organization,
            user_id=int(request.POST["coach"]) if request.POST["coach"].isdigit() else 0,
        ).select_related("user").first()
        if membership is None:
            messages.error(request, "Choose a coach of this organization.")
            return _back(request)
        coach = membership.user
    try:
        claimed = claim_assessment(assessment=assessment, actor=request.user, coach=coach)
    except AssessmentError as error:
        messages.error(request, error.message)
        return _back(request)
    who = "You coach" if claimed.coach_id == request.user.pk else f"{claimed.coach} coaches"
    messages.success(request, f"{who} assessment #{claimed.pk} now.")
    return _back(request)


class BacklogSettingsForm(BootstrapMixin, forms.Form):
    capacity = forms.IntegerField(
        label="Open items per coach", min_value=CAPACITY_BOUNDS[0], max_value=CAPACITY_BOUNDS[1],
        help_text="Automatic assignment skips a coach who owns this many open items; the "
                  "assessment then waits unassigned in the backlog. Per-coach exceptions "
                  "are on the capacity page.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = SLA_HOURS_BOUNDS
        for key, label in KIND_CHOICES:
            self.fields[f"sla_{key}"] = forms.IntegerField(
                label=f"{label}s (hours)", min_value=low, max_value=high,
                help_text=f"From {low} to {high} hours.",
                widget=forms.NumberInput(attrs={"class": "form-control"}))

    def sla_fields(self):
        return [self[f"sla_{key}"] for key, _ in KIND_CHOICES]


def backlog_settings(request):
    """The SLA of each kind and the default capacity (org admins; 404 otherwise)."""
    _require_admin(request)
    organization = request.organization
    current = selectors_backlog.backlog_settings(organization)
    initial = {"capacity": current.capacity,
               **{f"sla_{k}": v for k, v in current.sla_hours.items()}}
    form = BacklogSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_backlog_settings(
                organization=organization, capacity=data["capacity"],
                sla_hours={key: data[f"sla_{key}"] for key, _ in KIND_CHOICES})
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Backlog settings saved.")
            return redirect(org_url(request, "coaching:backlog"))
    return render(request, "coaching/backlog_settings.html", {"form": form},
                  status=400 if form.errors else 200)


class CapacityForm(BootstrapMixin, forms.Form):
    coach = forms.IntegerField(widget=forms.HiddenInput)
    capacity = forms.IntegerField(
        label="Maximum", required=False, min_value=CAPACITY_BOUNDS[0],
        max_value=CAPACITY_BOUNDS[1], help_text="Empty: the organization's default.")


def backlog_capacity(request):
    """Each coach's open, overdue and completed items against their capacity, with the
    per-coach maximum to edit (org admins; 404 otherwise)."""
    _require_admin(request)
    organization = request.organization
    errors, status = {}, 200
    if request.method == "POST":
        form = CapacityForm(request.POST)
        coach = None
        if form.is_valid():
            coach = Membership.objects.filter(
                organization=organization, user_id=form.cleaned_data["coach"]
            ).select_related("user").first()
            if coach is None:
                raise Http404("No such coach.")
            try:
                set_coach_capacity(organization=organization, coach=coach.user,
                                   capacity=form.cleaned_data["capacity"])
            except DomainError as error:
                add_service_error(form, error)
        if not form.errors:
            messages.success(request, f"Capacity of {coach.user} saved.")
            return redirect(request.path)
        coach_id = request.POST.get("coach", "")
        errors[int(coach_id) if coach_id.isdigit() else 0] = {
            "value": request.POST.get("capacity", ""),
            "messages": [m for ms in form.errors.values() for m in ms]}
        status = 400
    rows = selectors_backlog.coach_capacity(organization=organization)
    for row in rows:
        row.error = errors.pop(row.coach.pk, None)
    return render(request, "coaching/backlog_capacity.html", {
        "rows": rows, "other_errors": [m for e in errors.values() for m in e["messages"]],
        "settings": selectors_backlog.backlog_settings(organization),
        "capacity_bounds": CAPACITY_BOUNDS, "days": selectors_backlog.CAPACITY_DAYS,
    }, status=status)
