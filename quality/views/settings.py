"""The quality settings page: release of audits, the verification bar, the minimum n to
act on, audit allocation and the outside scorer (its API key is write-only)."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from tenancy.errors import DomainError, add_service_error
from tenancy.views import org_permission_required, org_url

from ..forms import DisputeSettingsForm, QualitySettingsForm
from ..selectors import quality_settings
from ..services.settings import update_dispute_settings, update_quality_settings
from .calibration_drift import thresholds_form


@org_permission_required("quality.manage_settings")
def settings_view(request):
    current = quality_settings(request.organization)
    initial = {
        "release_mode": current.release_mode,
        "release_delay_hours": current.release_delay_hours,
        "verify_min_kappa": current.verify_min_kappa,
        "verify_min_pairs": current.verify_min_pairs,
        "min_reviews": current.min_reviews,
        "learned_min_answers": current.learned_min_answers,
        "audits_per_agent_week": current.audits_per_agent_week,
        "audits_per_evaluator_day": current.audits_per_evaluator_day,
        "provider_enabled": current.provider.enabled,
        "provider_url": current.provider.url,
        "provider_model": current.provider.model,
        "provider_timeout_seconds": current.provider.timeout_seconds,
    }
    form = QualitySettingsForm(request.POST or None, initial=initial,
                               has_api_key=bool(current.provider.api_key))
    disputes = current.disputes
    # A post without the section's fields (an older client) leaves the disputes as they are.
    dispute_posted = any(key.startswith("disputes-") for key in request.POST)
    dispute_form = DisputeSettingsForm(
        request.POST if dispute_posted else None, organization=request.organization,
        initial={"enabled": disputes.enabled, "max_rounds": disputes.max_rounds,
                 "window_days": disputes.window_days, "sla_hours": disputes.sla_hours,
                 "arbitrator": disputes.arbitrator_id},
    )
    if request.method == "POST" and all([form.is_valid(), not dispute_posted
                                         or dispute_form.is_valid()]):
        try:
            with transaction.atomic():  # both sections or neither
                saving = form
                update_quality_settings(organization=request.organization,
                                        **form.cleaned_data)
                if dispute_posted:
                    saving = dispute_form
                    update_dispute_settings(organization=request.organization,
                                            **dispute_form.cleaned_data)
        except DomainError as error:
            add_service_error(saving, error)
        else:
            messages.success(request, "Quality settings saved.")
            return redirect(org_url(request, "quality:settings"))
    return render(request, "quality/settings.html",
                  {"form": form, "dispute_form": dispute_form,
                   "calibration_form": thresholds_form(request.organization)})
