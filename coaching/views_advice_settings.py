"""The advice provider's settings page (org admins): the optional OpenAI-compatible
endpoint that writes coaching advice (:mod:`coaching.advice_provider`). The API key is
write-only: the page says whether one is stored, never shows it, keeps it when the field
is left empty and removes it only when asked."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.errors import DomainError, add_service_error
from tenancy.forms import BootstrapMixin
from tenancy.views import org_permission_required, org_url

from .advice_provider import advice_provider_settings, check_connection
from .services.plans import (
    MAX_API_KEY,
    MAX_MODEL,
    MAX_URL,
    PROVIDER_TIMEOUT,
    update_advice_provider,
)

MANAGE_PROVIDER = "coaching.manage_advice_provider"


class AdviceProviderForm(BootstrapMixin, forms.Form):
    enabled = forms.BooleanField(
        label="Write advice with an outside service", required=False,
        help_text="Off by default. When the service is slow, unreachable or answers "
                  "something unusable, the built-in generator writes the advice and the "
                  "page says so.")
    url = forms.CharField(label="Base URL", required=False, max_length=MAX_URL,
                          help_text="An OpenAI-compatible API, e.g. "
                                    "https://llm.example.com/v1 (/chat/completions is added).")
    model = forms.CharField(label="Model", required=False, max_length=MAX_MODEL)
    api_key = forms.CharField(
        label="API key", required=False, max_length=MAX_API_KEY, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    clear_api_key = forms.BooleanField(label="Remove the stored API key", required=False)
    timeout_seconds = forms.FloatField(
        label="Timeout (seconds)", min_value=PROVIDER_TIMEOUT[0], max_value=PROVIDER_TIMEOUT[1],
        help_text=f"How long to wait for an answer ({PROVIDER_TIMEOUT[0]:g} to "
                  f"{PROVIDER_TIMEOUT[1]:g} s) before falling back.")

    def __init__(self, *args, has_api_key: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["api_key"].help_text = (
            "A key is stored (it is never shown). Leave empty to keep it, or type a new one."
            if has_api_key else "No key stored. Once saved it is never shown again.")
        if not has_api_key:  # nothing to remove
            del self.fields["clear_api_key"]

    def clean(self):
        data = super().clean()
        if data.get("api_key") and data.get("clear_api_key"):
            self.add_error("clear_api_key", "Either type a new key or remove the stored "
                                            "one, not both.")
        return data


@org_permission_required(MANAGE_PROVIDER)
def advice_settings(request):
    """Show and save the tenant's advice provider; nothing is saved when a field is wrong."""
    organization = request.organization
    current = advice_provider_settings(organization)
    form = AdviceProviderForm(request.POST or None, has_api_key=current.has_api_key, initial={
        "enabled": current.enabled, "url": current.url, "model": current.model,
        "timeout_seconds": current.timeout_seconds})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_advice_provider(
                organization=organization, enabled=data["enabled"], url=data["url"],
                model=data["model"], api_key=data["api_key"] or None,
                clear_api_key=data.get("clear_api_key", False),
                timeout_seconds=data["timeout_seconds"])
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Advice provider saved.")
            return redirect(org_url(request, "coaching:advice_settings"))
    return render(request, "coaching/advice_settings.html", {
        "form": form, "current": current}, status=400 if form.errors else 200)


@require_POST
@org_permission_required(MANAGE_PROVIDER)
def advice_settings_check(request):
    """Try the saved settings (on or off) with one made-up request and say what happened."""
    result = check_connection(advice_provider_settings(request.organization))
    (messages.success if result.ok else messages.error)(request, result.message)
    return redirect(org_url(request, "coaching:advice_settings"))
