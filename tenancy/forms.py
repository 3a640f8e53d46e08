"""Forms for organization settings, members and teams.

Choices of people are always limited to members of the current organization, so a form
can never link a row to someone of another tenant.
"""

import zoneinfo

from django import forms
from django.db.models import Q

from .enums import WEEKDAYS, Role
from .models import Membership, Organization, User, slug_validator, validate_slug_not_reserved


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
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES)
    weekend_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Days skipped when due dates exclude weekends.",
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


def find_user(identifier: str) -> User | None:
    identifier = identifier.strip()
    matches = list(User.objects.filter(Q(username=identifier) | Q(email__iexact=identifier))[:2])
    return matches[0] if len(matches) == 1 else None


class MemberAddForm(BootstrapMixin, forms.Form):
    identifier = forms.CharField(
        label="Username or e-mail", max_length=254,
        help_text="The person must already have a Coachdesk account.",
    )
    roles = RolesField()

    def __init__(self, *args, organization: Organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)

    def clean_identifier(self):
        identifier = self.cleaned_data["identifier"]
        user = find_user(identifier)
        if user is None:
            raise forms.ValidationError(
                f"No account matches “{identifier}”. Check the spelling, or create the "
                "account below."
            )
        if Membership.objects.filter(organization=self.organization, user=user).exists():
            raise forms.ValidationError(f"{user.username} is already a member.")
        self.cleaned_data["user"] = user
        return identifier


class AccountCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(label="E-mail")
    roles = RolesField()

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(
                f"The username “{username}” is taken; add the existing account instead."
            )
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail exists; add it with “Add an existing account”."
            )
        return email


class MemberRolesForm(BootstrapMixin, forms.Form):
    roles = RolesField()


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class TeamForm(BootstrapMixin, forms.Form):
    name = forms.CharField(max_length=150)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    manager = MemberChoiceField(
        queryset=User.objects.none(), required=False,
        help_text="Coaches and organization admins can manage a team.",
    )
    additional_managers = MemberMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
    )
    members = MemberMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
    )

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
