"""The filters of the tenant's access log."""

from django import forms

from tenancy.validation import validate_date

from .models import AccessKind

SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})


class AccessFilterForm(forms.Form):
    subject = forms.TypedChoiceField(label="Whose data", required=False, coerce=int,
                                     empty_value=None, widget=SELECT)
    viewer = forms.ChoiceField(label="Viewed by", required=False, widget=SELECT)
    kind = forms.ChoiceField(label="What", required=False, widget=SELECT,
                             choices=[("", "Everything"), *AccessKind.choices])
    date_from = forms.DateField(label="From", required=False, widget=DATE,
                                validators=[validate_date])
    date_to = forms.DateField(label="To", required=False, widget=DATE,
                              validators=[validate_date])

    def __init__(self, data, *, subjects: list, viewers: list):
        super().__init__(data)
        self.fields["subject"].choices = [("", "Everyone"), *subjects]
        self.fields["viewer"].choices = [("", "Anyone"), *viewers]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "“To” is before “From”.")
        return data
