"""Forms for organization settings, members and teams.

Choices of people are always limited to members of the current organization, so a form
can never link a row to someone of another tenant.
"""

import zoneinfo

from django import forms
from django.db.models import Q

from .enums import WEEKDAYS, Role
from .models import Organization, User, slug_validator, validate_slug_not_reserved
from .people import PeopleChoiceField, person_label
from .validation import LONG_TEXT
from .widgets import FastSelect


class BootstrapMixin:
    """Give widgets Bootstrap's classes so every form looks the same."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect
                          | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", Role.choices)
        kwargs.setdefault("error_messages", {"required": "Choose at least one role."})
        super().__init__(**kwargs)


class OrganizationSettingsForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=200)
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, widget=FastSelect)
    weekend_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Days skipped when due dates exclude weekends.",
    )
    learn_team_membership = forms.BooleanField(
        label="Learn team membership from work", required=False,
        help_text="When imported work is assigned to an agent within a team, the agent "
                  "becomes a member of that team, so the work can be routed and coached "
                  "without setting teams up by hand. Memberships are never removed "
                  "automatically.",
    )
    pseudonymise_peers = forms.BooleanField(
        label="Show peers as pseudonyms on team pages", required=False,
        help_text="Leaderboards, team pages, agent directories, the skill matrix, skill "
                  "holders, the coaching monitor and routing suggestions show an agent by "
                  "name only to the agent themselves, their coaches and organization "
                  "admins. Everyone else sees a pseudonym such as “Agent K7Q2MX”, the same "
                  "on every page but not traceable to the person. Team managers are always "
                  "shown by name. Pages about one person (audits, assessments, disputes) "
                  "keep names for the roles that may open them.",
    )

    def clean_weekend_days(self):
        days = self.cleaned_data["weekend_days"]
        if len(days) > 6:
            raise forms.ValidationError("At least one working day must remain.")
        return days


class OrganizationCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.CharField(max_length=63, validators=[slug_validator, validate_slug_not_reserved])

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Organization.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"The slug “{slug}” is already taken.")
        return slug


class InviteForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(
        label="E-mail address", max_length=254,
        help_text="They receive a link to join. Someone who already uses Coachdesk signs in "
                  "to accept; anyone else creates an account from the link. Nothing is shared "
                  "until they accept.",
    )
    roles = RolesField()


class InvitationSignupForm(BootstrapMixin, forms.Form):
    """A new person's account, created from an invitation (the e-mail is the invited one)."""

    username = forms.CharField(
        max_length=150, help_text="Letters, digits and @ . + - _ only; you sign in with it.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    first_name = forms.CharField(max_length=150, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=150, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password_again = forms.CharField(
        label="Password again", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password_again") not in (
            None, cleaned["password"]
        ):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


class MemberRolesForm(BootstrapMixin, forms.Form):
    roles = RolesField()


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_label(obj)


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                  max_length=LONG_TEXT)
    manager = MemberChoiceField(
        queryset=User.objects.none(), required=False, widget=FastSelect,
        help_text="Coaches and organization admins can manage a team.",
    )
    # Type-aheads (issue 22.3): a checkbox per person grew with the organization.
    additional_managers = PeopleChoiceField(required=False)
    members = PeopleChoiceField(required=False)

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(memberships__organization=organization).order_by(
            "first_name", "last_name", "username"
        )
        managers = people.filter(
            Q(memberships__is_coach=True) | Q(memberships__is_org_admin=True),
            memberships__organization=organization,
        )
        self.fields["manager"].queryset = managers
        self.fields["additional_managers"].queryset = managers
        self.fields["members"].queryset = people


class ApiTokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Who or what uses it, for example “ServiceNow sync”."
    )


class AboutForm(forms.Form):
    """What a member writes about themselves on My profile (shown to their managers)."""

    about = forms.CharField(
        label="About me", required=False, max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text="Your managers see this on your agent overview.")
