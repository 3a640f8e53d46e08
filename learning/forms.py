"""Forms for catalogs, course items, assigning training and the learning settings.

Every choice of rows is limited to the current organization (and, for coaches, to their
teams), so a form can never link a row to another tenant's data.
"""

from django import forms

from skills.models import Skill, SkillLevel
from tenancy.forms import BootstrapMixin
from tenancy.models import Team
from tenancy.people import PeopleChoiceField
from tenancy.validation import DOCUMENT_TEXT, LONG_TEXT
from tenancy.widgets import FastSelect

from . import selectors
from .enums import INTERNAL_SOURCES, ContentSource, Provider, TaskState
from .models import CourseItem, LearningCatalog, http_url_validator
from .services.catalogs import validate_catalog_title


class CatalogForm(BootstrapMixin, forms.Form):
    title = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=LONG_TEXT)
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Applicable teams",
        help_text="The coaches and agents of these teams see the catalog. "
                  "Leave empty to show it to everyone.",
    )

    def __init__(self, *args, organization, catalog=None, **kwargs):
        self.organization, self.catalog = organization, catalog
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.filter(organization=organization)

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        validate_catalog_title(organization=self.organization, title=title, catalog=self.catalog)
        return title


class CatalogAddCoursesForm(BootstrapMixin, forms.Form):
    courses = forms.ModelMultipleChoiceField(
        queryset=CourseItem.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Course items to add",
        error_messages={"required": "Choose at least one course item."},
    )

    def __init__(self, *args, catalog: LearningCatalog, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courses"].queryset = (
            CourseItem.objects.filter(organization=catalog.organization)
            .exclude(catalog_links__catalog=catalog).order_by("title")
        )


class CourseForm(BootstrapMixin, forms.Form):
    """The internal course editor and the external course entry (``external=True``)."""

    title = forms.CharField(max_length=200)
    source = forms.ChoiceField(label="Content", widget=forms.RadioSelect)
    provider = forms.ChoiceField(choices=[("", "—"), *Provider.choices], required=False)
    url = forms.CharField(
        label="Web address", max_length=500, required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text="Only http:// and https:// addresses are accepted.",
    )
    body = forms.CharField(
        label="Article text", required=False, max_length=DOCUMENT_TEXT,
        widget=forms.Textarea(attrs={"rows": 12, "data-rich-text": "true"}),
        help_text="Formatting: headings, paragraphs, lists, bold, italics, links, tables. "
                  "Scripts and other active content are removed when saved.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                  max_length=LONG_TEXT)
    days_to_complete = forms.IntegerField(
        min_value=1, max_value=365, initial=5,
        help_text="The due date is this many days after assignment.",
    )
    estimated_minutes = forms.IntegerField(
        label="Estimated duration (minutes)", min_value=1, max_value=100_000, required=False,
    )
    catalogs = forms.ModelMultipleChoiceField(
        queryset=LearningCatalog.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(required=False, initial=True,
                                help_text="Retired courses can no longer be assigned.")

    def __init__(self, *args, organization, external: bool, **kwargs):
        self.organization, self.external = organization, external
        super().__init__(*args, **kwargs)
        self.fields["catalogs"].queryset = LearningCatalog.objects.filter(
            organization=organization).order_by("title")
        if external:
            self.fields["source"].choices = [(ContentSource.EXTERNAL, "External provider")]
            self.fields["source"].initial = ContentSource.EXTERNAL
            self.fields["source"].widget = forms.HiddenInput()
            self.fields["provider"].required = True
            self.fields["url"].label = "Course address at the provider"
            del self.fields["body"]
        else:
            self.fields["source"].choices = [
                (s.value, s.label.removeprefix("Internal: ").capitalize())
                for s in INTERNAL_SOURCES
            ]
            self.fields["source"].initial = ContentSource.ARTICLE
            self.fields["url"].help_text = ("For a video or page link: YouTube, Vimeo, an "
                                            "intranet page… " + self.fields["url"].help_text)
            del self.fields["provider"]
        self.order_fields(["title", "source", "provider", "url", "body", "description",
                           "days_to_complete", "estimated_minutes", "catalogs", "active"])

    def clean(self):
        data = super().clean()
        source = data.get("source")
        url = (data.get("url") or "").strip()
        if source in (ContentSource.URL, ContentSource.EXTERNAL):
            if not url:
                self.add_error("url", "Enter the course's web address.")
            else:
                try:
                    http_url_validator(url)
                except forms.ValidationError:
                    self.add_error("url", "Enter a web address starting with http:// or "
                                          "https:// (other kinds of links are refused).")
        if source == ContentSource.ARTICLE and not (data.get("body") or "").strip():
            self.add_error("body", "Write the article's text.")
        data["url"] = url
        return data


class CourseSkillForm(BootstrapMixin, forms.Form):
    skill = forms.ModelChoiceField(queryset=Skill.objects.none(), required=False)
    level = forms.ModelChoiceField(queryset=SkillLevel.objects.none(), required=False)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(organization=organization,
                                                             active=True).order_by("name")
        self.fields["level"].queryset = SkillLevel.objects.filter(
            organization=organization).order_by("rank")

    def clean(self):
        data = super().clean()
        if data.get("skill") and not data.get("level"):
            self.add_error("level", "Choose the level the course grants.")
        if data.get("level") and not data.get("skill"):
            self.add_error("skill", "Choose the skill, or clear the level.")
        return data


class BaseCourseSkillFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            skill = form.cleaned_data.get("skill")
            if skill is None:
                continue
            if skill.pk in seen:
                raise forms.ValidationError(f"“{skill.name}” is listed twice; give each skill "
                                            "once.")
            seen.add(skill.pk)

    def grants(self):
        return [(f.cleaned_data["skill"], f.cleaned_data["level"]) for f in self.forms
                if f.cleaned_data.get("skill")]


CourseSkillFormSet = forms.formset_factory(
    CourseSkillForm, formset=BaseCourseSkillFormSet, extra=2, max_num=30, validate_max=True,
)


class AssignForm(BootstrapMixin, forms.Form):
    course = forms.ModelChoiceField(queryset=CourseItem.objects.none(), label="Course item")
    catalog = forms.ModelChoiceField(queryset=LearningCatalog.objects.none(), required=False,
                                     help_text="Optional: the catalog the course comes from.")
    # A type-ahead (issue 22.3): a checkbox per agent grew with the organization.
    agents = PeopleChoiceField(required=False)
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Whole teams", help_text="Every agent of these teams gets the course.",
    )

    def __init__(self, *args, organization, user, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = selectors.assignable_courses(organization, user)
        self.fields["catalog"].queryset = selectors.catalogs_for(organization, user).order_by(
            "title")
        self.fields["agents"].queryset = selectors.assignable_people(organization, user)
        self.fields["teams"].queryset = selectors.teams_for_assigning(organization, user)

    def clean(self):
        data = super().clean()
        course, catalog = data.get("course"), data.get("catalog")
        if course and catalog and not catalog.course_links.filter(course=course).exists():
            self.add_error("catalog", f"“{course.title}” is not in the catalog “{catalog.title}”.")
        people = list(data.get("agents") or [])
        if data.get("teams"):
            people += selectors.members_of_teams(self.organization, data["teams"])
        if not people and not self.errors:
            raise forms.ValidationError("Choose at least one agent or a team with agents.")
        data["people"] = list(dict.fromkeys(people))
        return data


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *TaskState.choices], required=False)
    agent = forms.TypedChoiceField(coerce=int, required=False, empty_value=None,
                                   widget=FastSelect)
    course = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, agents, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "Any agent")] + [
            (u.pk, u.get_full_name() or u.username) for u in agents]
        self.fields["course"].choices = [("", "Any course")] + [(c.pk, c.title) for c in courses]
        for name, field in self.fields.items():
            css = "form-check-input" if name == "overdue" else "form-select form-select-sm"
            field.widget.attrs["class"] = css


class LearningSettingsForm(BootstrapMixin, forms.Form):
    exclude_weekends = forms.BooleanField(
        required=False, label="Exclude weekends from learning due dates",
        help_text="Days to complete then count only working days; the organization's weekend "
                  "days are set on the Settings page. Applies to tasks assigned from now on.",
    )
