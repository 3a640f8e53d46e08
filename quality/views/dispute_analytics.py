"""Dispute analytics (overturn rates, time to resolve, SLA breaches, disputed share per
team) and "Send to calibration" for a flagged evaluator or attribute."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenancy.views import org_permission_required, org_url

from .. import charts_disputes, selectors_disputes
from ..enums import CalibrationSubject
from ..selectors import sees_all_audits
from ..services.calibration_candidates import send_to_calibration as send
from ..services.errors import QualityError

SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
PERIOD_CHOICES = [(d, f"Last {d} days") for d in selectors_disputes.ANALYTICS_PERIODS]


class PeriodFilter(forms.Form):
    period = forms.TypedChoiceField(label="Disputes raised in", coerce=int, required=False,
                                    empty_value=selectors_disputes.DEFAULT_PERIOD,
                                    choices=PERIOD_CHOICES, widget=SELECT,
                                    initial=selectors_disputes.DEFAULT_PERIOD)


class CalibrationForm(forms.Form):
    subject = forms.ChoiceField(choices=CalibrationSubject.choices)
    evaluator = forms.IntegerField(required=False, min_value=1)
    attribute = forms.SlugField(required=False, max_length=100)
    period = forms.TypedChoiceField(coerce=int, choices=PERIOD_CHOICES)


def _period(data) -> tuple[PeriodFilter, int]:
    form = PeriodFilter(data or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["period"]
    return form, selectors_disputes.DEFAULT_PERIOD


@org_permission_required("quality.view_dashboards")
def dispute_analytics(request):
    organization = request.organization
    form, days = _period(request.GET)
    analytics = selectors_disputes.dispute_analytics(organization, request.user, days=days,
                                                     now=timezone.now())
    return render(request, "quality/dispute_analytics.html", {
        "form": form, "analytics": analytics, "days": days,
        "may_send": sees_all_audits(organization, request.user),
        "evaluator_bars": charts_disputes.overturn_bars(analytics.by_evaluator),
        "attribute_bars": charts_disputes.overturn_bars(analytics.by_attribute),
        "flag_percent": f"{100 * selectors_disputes.FLAG_LOWER_BOUND:.0f}",
    })


@require_POST
@org_permission_required("quality.view_dashboards")
def send_to_calibration(request):
    """QA analysts and org admins send a flagged subject (coaches see a part of the
    disputes only, so they cannot judge the flag)."""
    organization = request.organization
    if not sees_all_audits(organization, request.user):
        raise PermissionDenied("Only QA analysts and org admins send to calibration.")
    form = CalibrationForm(request.POST)
    days = selectors_disputes.DEFAULT_PERIOD
    if not form.is_valid():
        messages.error(request, "Choose a flagged evaluator or attribute to send.")
    else:
        data = form.cleaned_data
        days = data["period"]
        try:
            sent = send(organization=organization, actor=request.user,
                        subject=data["subject"], days=days,
                        evaluator_id=data["evaluator"], attribute_key=data["attribute"] or "")
        except QualityError as error:
            messages.error(request, error.message)
        else:
            label = sent.candidate.attribute_name or (
                sent.candidate.evaluator.get_full_name() or sent.candidate.evaluator.username
                if sent.candidate.evaluator else "")
            if sent.created:
                messages.success(request, f"{label} was sent to calibration with "
                                          f"{sent.candidate.evaluations.count()} disputed "
                                          "evaluations.")
            else:
                messages.info(request, f"{label} is already waiting for calibration "
                                       f"(sent {sent.candidate.created_at:%-d %b %Y}); "
                                       "nothing changed.")
    return redirect(org_url(request, "quality:dispute_analytics") + f"?period={days}")
