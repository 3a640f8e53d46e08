from django import forms

from tenancy.forms import BootstrapMixin
from work.enums import WorkKind

from .enums import NobodyQualifies, Pool

MAX_OPEN = 10_000  # a capacity the database can compare with (a huge one was a 500)


class RoutingSettingsForm(BootstrapMixin, forms.Form):
    auto_assign = forms.BooleanField(
        required=False, label="Assign new and reopened unassigned work automatically")
    when_nobody_qualifies = forms.ChoiceField(choices=NobodyQualifies.choices)
    pool = forms.ChoiceField(choices=Pool.choices, label="Candidates")
    max_open = forms.IntegerField(
        label="Maximum open items per agent and kind", max_value=MAX_OPEN,
        help_text="Open = assigned and not resolved or closed. At least 1.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in WorkKind.choices:
            self.fields[f"max_open_{value}"] = forms.IntegerField(
                required=False, label=f"Maximum for {label.lower()}", max_value=MAX_OPEN,
                help_text="Empty: the general maximum.")

    def by_kind(self) -> dict[str, int]:
        return {value: self.cleaned_data[f"max_open_{value}"] for value in WorkKind.values
                if self.cleaned_data.get(f"max_open_{value}") is not None}
