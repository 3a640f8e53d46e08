"""Calibration over time (QA analysts and org admins; 404 for anyone else): per attribute
Krippendorff's α and per evaluator the deviation from the final answers across finished
sessions, as lines with the numbers in tables; and the alert thresholds form (posted from
the quality settings page)."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenancy.errors import add_service_error
from tenancy.views import org_url

from .. import charts_calibration
from ..enums import ALPHA_RELIABLE, ALPHA_TENTATIVE
from ..models import Scorecard
from ..selectors_calibration_agreement import (
    DEFAULT_DRIFT_PERIOD,
    DRIFT_PERIODS,
    calibration_drift,
)
from ..services.calibration import may_lead
from ..services.calibration_alerts import calibration_thresholds, update_calibration_thresholds
from ..services.errors import QualityError

SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
ALL = 0


class DriftFilter(forms.Form):
    period = forms.TypedChoiceField(
        label="Sessions finished in", coerce=int, required=False, empty_value=DEFAULT_DRIFT_PERIOD,
        choices=[(d, f"Last {d} days") for d in DRIFT_PERIODS] + [(ALL, "All time")],
        widget=SELECT, initial=DEFAULT_DRIFT_PERIOD)
    scorecard = forms.ChoiceField(label="Scorecard", required=False, widget=SELECT)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        keys = (Scorecard.objects.filter(organization=organization, is_current=True)
                .order_by("name").values_list("key", "name"))
        self.fields["scorecard"].choices = [("", "Every scorecard"), *keys]


class ThresholdsForm(forms.Form):
    prefix = "calibration"
    alpha_threshold = forms.FloatField(
        label="Alert when an attribute's α is below", min_value=0, max_value=1,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm",
                                        "step": "0.001"}),
        help_text=f"Krippendorff's α: {ALPHA_TENTATIVE} is the bar for tentative "
                  f"conclusions, {ALPHA_RELIABLE} for reliable ones.")
    deviation_threshold = forms.FloatField(
        label="Alert when an evaluator deviates from the final answers by more than",
        min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm",
                                        "step": "0.5"}),
        help_text="Points of 100 on the total score, mean over the session's interactions.")


def thresholds_form(organization, data=None) -> ThresholdsForm:
    current = calibration_thresholds(organization)
    return ThresholdsForm(data, initial={"alpha_threshold": current.alpha_threshold,
                                         "deviation_threshold": current.deviation_threshold})


def _require_lead(request) -> None:
    if not may_lead(request.organization, request.user):
        raise Http404("No such page.")


def _drift_page(request, thresholds: ThresholdsForm):
    organization = request.organization
    form = DriftFilter(request.GET or None, organization=organization)
    days, scorecard_key = DEFAULT_DRIFT_PERIOD, ""
    if form.is_bound and form.is_valid():
        days = form.cleaned_data["period"]
        scorecard_key = form.cleaned_data["scorecard"] or ""
    since = timezone.now() - timedelta(days=days) if days else None
    drift = calibration_drift(organization, since=since, scorecard_key=scorecard_key)
    current = calibration_thresholds(organization)
    return render(request, "quality/calibration_drift.html", {
        "form": form, "drift": drift, "days": days, "current": current,
        "thresholds_form": thresholds,
        "alpha_chart": charts_calibration.alpha_drift_chart(drift.sessions, drift.attributes),
        "deviation_chart": charts_calibration.deviation_drift_chart(
            drift.sessions, drift.evaluators, threshold=current.deviation_threshold),
        "tentative": ALPHA_TENTATIVE, "reliable": ALPHA_RELIABLE,
    })


def calibration_drift_view(request):
    _require_lead(request)
    return _drift_page(request, thresholds_form(request.organization))


@require_POST
def calibration_thresholds_view(request):
    """Save the alert thresholds (posted from the drift page or the quality settings
    page); errors are shown next to their field on the drift page."""
    _require_lead(request)
    form = thresholds_form(request.organization, request.POST)
    if form.is_valid():
        try:
            update_calibration_thresholds(organization=request.organization,
                                          **form.cleaned_data)
        except QualityError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Calibration alert thresholds saved.")
            return redirect(org_url(request, "quality:calibration_drift"))
    return _drift_page(request, form)
