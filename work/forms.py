"""Forms of the Work pages: the list filters and the CSV upload."""

from django import forms

from tenancy.people import PersonChoiceField
from tenancy.validation import DateField

from . import selectors
from .enums import WorkKind, WorkState


class DateInput(forms.DateInput):
    input_type = "date"


class WorkFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"placeholder": "Number, ID or text"}))
    kind = forms.ChoiceField(label="Kind", required=False,
                             choices=[("", "All kinds"), *WorkKind.choices])
    state = forms.ChoiceField(label="State", required=False,
                              choices=[("", "All states"), *WorkState.choices])
    team = forms.ModelChoiceField(label="Team", required=False, queryset=None,
                                  empty_label="All teams")
    # A type-ahead box (tenancy.people): a select offered every agent (521 options at 500).
    agent = PersonChoiceField(label="Agent", required=False, help_text="")
    opened_from = DateField(label="Opened from", required=False, widget=DateInput)
    opened_to = DateField(label="Opened to", required=False, widget=DateInput)
    resolved_from = DateField(label="Resolved from", required=False, widget=DateInput)
    resolved_to = DateField(label="Resolved to", required=False, widget=DateInput)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.teams_for_filter(organization)
        self.fields["agent"].queryset = selectors.agents_for_filter(organization)
        self.fields["agent"].widget.attrs["placeholder"] = "All agents"
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if isinstance(
                field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"filter-{name}")

    def clean(self):
        data = super().clean()
        for prefix in ("opened", "resolved"):
            start, end = data.get(f"{prefix}_from"), data.get(f"{prefix}_to")
            if start and end and start > end:
                self.add_error(f"{prefix}_to", "The end date is before the start date.")
        return data


class WorkImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, first line naming the columns; external_id is required. "
                  "Interactions may carry queue, topic and a transcript (a JSON cell).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv", "class": "form-control"}),
    )
    create_missing = forms.BooleanField(
        label="Create missing teams, agents and skills", required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file and report, without saving anything", required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
