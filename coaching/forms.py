"""Forms of the assessment pages: filters, details, skills, training, surveys, cancel,
open one."""

from django import forms
from django.db.models import Q

from learning.models import CourseItem
from learning.selectors import assignable_courses
from skills.models import Skill, SkillLevel
from skills.selectors import award_options_for
from surveys.enums import Audience
from surveys.models import SurveyTemplate
from tenancy.people import PersonChoiceField
from tenancy.validation import LONG_TEXT

from .enums import AssessmentState


class FilterForm(forms.Form):
    state = forms.ChoiceField(required=False,
                              choices=[("", "Any state"), *AssessmentState.choices])
    scope = forms.ChoiceField(required=False, label="Whose", choices=[
        ("", "All I can see"), ("mine", "I am the coach"), ("team", "My teams' agents"),
        ("backlog", "Unassigned (backlog)"),
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
    comments = forms.CharField(required=False, max_length=LONG_TEXT,
                               widget=forms.Textarea(attrs={"rows": 4}))
    follow_up = forms.BooleanField(required=False, label="Follow-up needed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].widget.attrs["class"] = "form-control"
        self.fields["comments"].widget.attrs["class"] = "form-control"
        self.fields["follow_up"].widget.attrs["class"] = "form-check-input"


class SkillForm(forms.Form):
    """A skill and level to award: only what would be a gain for the trainee (no skill
    they already hold at that level or higher; see ``skills.selectors.award_options_for``)."""

    skill = forms.ModelChoiceField(queryset=Skill.objects.none())
    level = forms.ModelChoiceField(queryset=SkillLevel.objects.none())

    def __init__(self, *args, organization, trainee, **kwargs):
        super().__init__(*args, **kwargs)
        self.trainee = trainee
        self.options = award_options_for(user=trainee, organization=organization)
        self.fields["skill"].queryset = Skill.objects.filter(
            organization=organization, pk__in=[s.pk for s in self.options]).order_by("name")
        level_ids = {lv.pk for levels in self.options.values() for lv in levels}
        self.fields["level"].queryset = SkillLevel.objects.filter(
            organization=organization, pk__in=level_ids).order_by("rank")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def clean(self):
        cleaned = super().clean()
        skill, level = cleaned.get("skill"), cleaned.get("level")
        if skill is not None and level is not None:
            gains = next((lvs for s, lvs in self.options.items() if s.pk == skill.pk), [])
            if level.pk not in {lv.pk for lv in gains}:
                name = self.trainee.get_full_name() or self.trainee.username
                self.add_error("level", f"{name} already holds {skill.name} at {level.name} "
                                        "or higher; choose a higher level.")
        return cleaned


class CoursesForm(forms.Form):
    """The training: course items the coach may assign, plus any already on the
    assessment (an opportunity may have given a course outside the coach's catalogs)."""

    courses = forms.ModelMultipleChoiceField(
        queryset=CourseItem.objects.none(), required=False, label="Training",
        widget=forms.CheckboxSelectMultiple,
        help_text="Course items assigned to the agent when the assessment completes.",
    )

    def __init__(self, *args, organization, user, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        assignable = assignable_courses(organization, user).values("pk")
        self.fields["courses"].queryset = CourseItem.objects.filter(
            Q(pk__in=assignable) | Q(pk__in=assessment.course_links.values("course_id")),
            organization=organization,
        ).order_by("title", "pk")
        self.fields["courses"].widget.attrs["class"] = "form-check-input"


class SurveysForm(forms.Form):
    """The coach and agent surveys of an assessment; one the opportunity gave is shown
    but cannot be changed."""

    coach_survey = forms.ModelChoiceField(
        queryset=SurveyTemplate.objects.none(), required=False, empty_label="None",
        label="Coach survey", help_text="You answer it about the agent; its score becomes "
                                        "the rating.",
    )
    trainee_survey = forms.ModelChoiceField(
        queryset=SurveyTemplate.objects.none(), required=False, empty_label="None",
        label="Agent survey", help_text="The agent answers it about the coaching.",
    )

    def __init__(self, *args, organization, assessment, locked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.assessment, self.locked = assessment, set(locked)
        templates = SurveyTemplate.objects.filter(organization=organization).order_by("name")
        for name, audience in (("coach_survey", Audience.COACH_ABOUT_TRAINEE),
                               ("trainee_survey", Audience.TRAINEE_ABOUT_COACH)):
            field = self.fields[name]
            current = getattr(assessment, f"{name}_id")
            field.queryset = templates.filter(Q(active=True) | Q(pk=current),
                                              audience=audience)
            field.widget.attrs["class"] = "form-select"
            if name in locked:
                # Shown disabled (browsers then leave it out of the post, which means
                # "unchanged"); a posted value still reaches the service, which refuses a
                # change with its message.
                field.widget.attrs["disabled"] = True
                field.help_text = "Set by the opportunity; it cannot be changed."

    def _kept(self, name: str):
        if name in self.locked and name not in self.data:
            return getattr(self.assessment, name)
        return self.cleaned_data.get(name)

    def clean_coach_survey(self):
        return self._kept("coach_survey")

    def clean_trainee_survey(self):
        return self._kept("trainee_survey")


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Why is it cancelled?",
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class OpenAssessmentForm(forms.Form):
    # A type-ahead: a coach of 500 agents was offered 500 options on every render.
    trainee = PersonChoiceField(label="Agent")
    work_item = forms.CharField(required=False, max_length=200,
                                label="Work item (number or external ID, optional)")
    due_in_days = forms.IntegerField(min_value=1, max_value=365, initial=7,
                                     label="Due in (days)")
    comments = forms.CharField(required=False, max_length=LONG_TEXT,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, trainees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainee"].queryset = trainees
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
