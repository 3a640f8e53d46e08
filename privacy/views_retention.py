"""The retention settings page (org admins): how long each kind of personal data is kept,
and a preview of what a run today would remove. Saving changes only the policy; the
nightly task (or ``manage.py apply_retention``) applies it."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from tenancy.errors import DomainError, add_service_error
from tenancy.forms import BootstrapMixin
from tenancy.views import org_permission_required, org_url

from .retention import (
    EVALUATION_MODES,
    KINDS,
    MAXIMUM_DAYS,
    MINIMUM_DAYS,
    RetentionPolicy,
    check_days,
    preview_retention,
    recent_runs,
    retention_policy,
    update_retention_policy,
)

MANAGE_RETENTION = "tenancy.manage_organization"

HELP = {
    "transcripts": "The text of each turn is removed; who spoke and when, the interaction and "
                   "its scores stay. Counted from the interaction's date.",
    "evaluations": "Counted from the interaction's date. Dashboards keep their history "
                   "either way (they read daily totals, which are never removed).",
    "access_log": "Records of who viewed an agent's data are deleted.",
    "work_items": "Only closed work items (resolved, closed, cancelled), counted from when "
                  "they were closed. Scored interactions follow the evaluations' period.",
}
LABELS = {
    "transcripts": "Transcripts: keep for (days)",
    "evaluations": "Evaluations: keep for (days)",
    "access_log": "Access log: keep for (days)",
    "work_items": "Work items: keep for (days)",
}


class RetentionForm(BootstrapMixin, forms.Form):
    transcripts_days = forms.IntegerField(required=False)
    evaluations_days = forms.IntegerField(required=False)
    evaluations_mode = forms.ChoiceField(
        label="Evaluations older than that are", choices=list(EVALUATION_MODES.items()),
        widget=forms.RadioSelect,
        help_text="Anonymise keeps every score and unlinks the agent (comments about them "
                  "are cleared); delete removes the evaluations with their answers, history "
                  "and disputes.")
    access_log_days = forms.IntegerField(required=False)
    work_items_days = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in KINDS:
            field = self.fields[f"{kind}_days"]
            field.label = LABELS[kind]
            field.help_text = (f"{HELP[kind]} Empty: keep forever. At least {MINIMUM_DAYS} "
                               f"days.")
            field.widget.attrs.update({"min": MINIMUM_DAYS, "max": MAXIMUM_DAYS,
                                       "placeholder": "Keep forever", "inputmode": "numeric"})
            field.error_messages["invalid"] = "Enter a whole number of days, or leave it empty."

    def clean(self):
        data = super().clean()
        for kind in KINDS:
            name = f"{kind}_days"
            if name in data:
                try:
                    data[name] = check_days(kind, data[name])
                except DomainError as error:
                    self.add_error(name, error.message)
        return data

    def policy(self) -> RetentionPolicy:
        return RetentionPolicy(**{name: self.cleaned_data[name] for name in self.fields})


@org_permission_required(MANAGE_RETENTION)
def retention_settings(request):
    """Show the policy with a preview; "Preview" shows what unsaved values would do, "Save"
    stores them. Nothing is saved when a field is wrong."""
    organization = request.organization
    current = retention_policy(organization)
    form = RetentionForm(request.POST or None, initial=current.as_settings())
    previewing = False
    preview_policy = current
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            previewing, preview_policy = True, form.policy()
        else:
            try:
                update_retention_policy(organization=organization, values=form.cleaned_data)
            except DomainError as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Retention policy saved. The nightly task applies "
                                          "it; nothing has been removed yet.")
                return redirect(org_url(request, "privacy:retention_settings"))
    preview = preview_retention(organization, policy=preview_policy)
    runs = list(recent_runs(organization))
    for run in runs:  # rows changed (or, for a dry run, that would be) per run
        run.changed = sum(part.get("count", 0) for part in run.summary.values()
                          if isinstance(part, dict))
    return render(request, "privacy/retention_settings.html", {
        "form": form, "current": current, "preview": preview, "previewing": previewing,
        "runs": runs, "minimum_days": MINIMUM_DAYS,
    }, status=400 if form.errors else 200)
