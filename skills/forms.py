"""Forms for the skills pages. Every choice is limited to the current organization."""

from django import forms

from tenancy.forms import BootstrapMixin
from tenancy.models import Organization
from tenancy.people import PersonChoiceField
from tenancy.validation import LONG_TEXT

from .enums import SkillType
from .models import Skill, SkillLevel


class LevelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SkillChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class SkillForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=LONG_TEXT)
    category = forms.CharField(
        max_length=80, required=False,
        help_text="Free text used to group and filter skills, for example “Infrastructure”.",
    )
    skill_type = forms.ChoiceField(label="Type", choices=SkillType.choices)
    parent = SkillChoiceField(
        queryset=Skill.objects.none(), required=False, empty_label="— top level —",
        help_text="Place the skill below a broader one.",
    )
    active = forms.BooleanField(
        required=False, initial=True,
        help_text="Retired skills stay in history but can no longer be awarded.",
    )

    def __init__(self, *args, organization: Organization, skill: Skill | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Skill.objects.filter(organization=organization).order_by("name")
        if skill is not None:
            parents = parents.exclude(pk=skill.pk)
        self.fields["parent"].queryset = parents


class LevelForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=60)
    description = forms.CharField(max_length=250, required=False)


class CellForm(BootstrapMixin, forms.Form):
    """The matrix's inline edit: a level (or none, to remove) and the lowering confirmation."""

    level = LevelChoiceField(
        queryset=SkillLevel.objects.none(), required=False, empty_label="— not held —"
    )
    lower = forms.BooleanField(label="Lower the level", required=False)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].queryset = SkillLevel.objects.filter(
            organization=organization
        ).order_by("rank")


class ReviewRequestForm(BootstrapMixin, forms.Form):
    skill = SkillChoiceField(queryset=Skill.objects.none(), empty_label="Choose a skill")
    level = LevelChoiceField(queryset=SkillLevel.objects.none(), empty_label="Choose a level")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=LONG_TEXT,
        help_text="What you did that shows this level: tickets, certifications, feedback.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(
            organization=organization, active=True
        ).order_by("name")
        self.fields["level"].queryset = SkillLevel.objects.filter(
            organization=organization
        ).order_by("rank")


class ReviewDecisionForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=LONG_TEXT,
        help_text="Required when rejecting; the agent reads it.",
    )


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: user (username or e-mail), skill, level; optional parent, category.",
    )
    create_missing = forms.BooleanField(label="Create unknown skills", required=False)
    dry_run = forms.BooleanField(
        label="Dry run (check only, change nothing)", required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB; split it.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text; save it as CSV UTF-8.") \
                from None


class MatrixFilterForm(forms.Form):
    """Bound to GET; invalid values are ignored rather than shown as errors."""

    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    # A type-ahead box (tenancy.people): a select offered every agent (521 options at 500).
    user = PersonChoiceField(label="Person", required=False, help_text="")
    skill_type = forms.ChoiceField(required=False, label="Type")
    level = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(required=False)

    def __init__(self, *args, teams, people, people_qs, names, levels, categories,
                 team_required: bool, **kwargs):
        """``people`` (as ordered on the page) and ``people_qs``: whom the person box may
        find; ``names``: the viewer's PeerNames (the box shows pseudonyms as the page does)."""
        super().__init__(*args, **kwargs)
        team_choices = [(t.pk, t.name) for t in teams]
        self.fields["team"].choices = (
            team_choices if team_required else [("", "All teams"), *team_choices]
        )
        self.fields["user"].queryset = people_qs
        self.fields["user"].as_seen_by(names, people)
        self.fields["skill_type"].choices = [("", "All types"), *SkillType.choices]
        self.fields["level"].choices = [("", "Any level")] + [(lv.pk, lv.name) for lv in levels]
        self.fields["category"].choices = [("", "All categories")] + [(c, c) for c in categories]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"
        self.fields["user"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": "Everyone",
             # suggestions from the team chosen in this form, not the default one
             "hx-include": "closest form"})

    def values(self) -> dict:
        if not self.is_valid():
            return {k: self.cleaned_data.get(k) for k in self.fields if k in self.cleaned_data}
        return self.cleaned_data


class RecommendationDecisionForm(forms.Form):
    comment = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; recorded in the recommendation's activity.",
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the rejection no longer holds; recorded in the activity.",
    )
