"""The filters of the tenant's access log."""

from django import forms

from tenancy.people import PersonChoiceField
from tenancy.validation import validate_date

from .models import AccessKind

SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


class AccessFilterForm(forms.Form):
    # Type-ahead boxes (tenancy.people): a select offered every member of the tenant, twice.
    subject = PersonChoiceField(label="Whose data", required=False, help_text="")
    viewer = PersonChoiceField(label="Viewed by", required=False, help_text="")
    token = forms.ChoiceField(label="Or an API token", required=False, widget=SELECT)
    kind = forms.ChoiceField(label="What", required=False, widget=SELECT,
                             choices=[("", "Everything"), *AccessKind.choices])
    date_from = forms.DateField(label="From", required=False, widget=DATE,
                                validators=[validate_date])
    date_to = forms.DateField(label="To", required=False, widget=DATE,
                              validators=[validate_date])

    def __init__(self, data, *, people, tokens: list):
        super().__init__(data)
        for name in ("subject", "viewer"):
            self.fields[name].queryset = people
            self.fields[name].widget.attrs.update(
                {"class": "form-control form-control-sm", "placeholder": "Anyone"})
        self.fields["token"].choices = [("", "—"), *((name, name) for name in tokens)]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "“To” is before “From”.")
        return data
