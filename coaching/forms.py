"""Forms of the assessment pages: filters, details, skills, training, cancel, open one."""

from django import forms

from skills.models import Skill, SkillLevel
from tenancy.models import User

from .enums import AssessmentState


class FilterForm(forms.Form):
    state = forms.ChoiceField(required=False,
                              choices=[("", "Any state"), *AssessmentState.choices])
    scope = forms.ChoiceField(required=False, label="Whose", choices=[
        ("", "All I can see"), ("mine", "I am the coach"), ("team", "My teams' agents"),
    ])
    trainee = forms.CharField(required=False, label="Agent (username)", max_length=150)
    opportunity = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    follow_up = forms.BooleanField(required=False, label="Follow-up only")

    def __init__(self, *args, opportunities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].choices = [("", "Any opportunity")] + [
            (o.pk, o.name) for o in opportunities
        ]
        for name, field in self.fields.items():
            css = "form-check-input" if name == "follow_up" else "form-select form-select-sm"
            if name == "trainee":
                css = "form-control form-control-sm"
            field.widget.attrs["class"] = css


class DetailsForm(forms.Form):
    rating = forms.IntegerField(required=False, min_value=0, max_value=100,
                                help_text="0–100; leave empty when not rated yet.")
    comments = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.BooleanField(required=False, label="Follow-up needed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].widget.attrs["class"] = "form-control"
        self.fields["comments"].widget.attrs["class"] = "form-control"
        self.fields["follow_up"].widget.attrs["class"] = "form-check-input"


class SkillForm(forms.Form):
    skill = forms.ModelChoiceField(queryset=Skill.objects.none())
    level = forms.ModelChoiceField(queryset=SkillLevel.objects.none())

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(organization=organization,
                                                             active=True).order_by("name")
        self.fields["level"].queryset = SkillLevel.objects.filter(
            organization=organization).order_by("rank")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"


class CoursesForm(forms.Form):
    courses = forms.CharField(
        required=False, label="Training (course titles, one per line)",
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def titles(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["courses"].splitlines()
                if line.strip()]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Why is it cancelled?",
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class OpenAssessmentForm(forms.Form):
    trainee = forms.ModelChoiceField(queryset=User.objects.none(), label="Agent")
    work_item = forms.CharField(required=False, max_length=200,
                                label="Work item (external ID, optional)")
    due_in_days = forms.IntegerField(min_value=1, max_value=365, initial=7,
                                     label="Due in (days)")
    comments = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, trainees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = trainees
        self.fields["trainee"].label_from_instance = (
            lambda u: f"{u.get_full_name() or u.username} ({u.username})"
        )
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "trainee" else "form-control"
