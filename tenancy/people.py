"""Choosing one person among many in a form (issue 22.3): a type-ahead instead of a
``<select>`` offering every person, whose options grew with the organization (500 agents:
500 options on every render of the form).

:class:`PersonChoiceField` renders a search box (:class:`PersonPicker`). Typed text finds
the person: the label a suggestion fills in ("Ann Lee (ann)"), a username, or words that
find exactly one person by first name, last name or username; several matches are a form
error naming some of them, so the form works without JavaScript and from the keyboard.
With htmx, typing asks the same page for up to :data:`SUGGESTIONS` matches (``?suggest=
<field name>&<field name>=<text>``), answered by :func:`suggestions` from the field's own
queryset, so the suggestions are exactly the people the form accepts; they fill the box's
``<datalist>``, which the browser offers under the box.
"""

import re

from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .models import User
from .widgets import _attrs

SUGGESTIONS = 10
_LABEL = re.compile(r"\(([^()]+)\)\s*$")


def person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def search_people(people: QuerySet, text: str) -> QuerySet:
    """``people`` whose first name, last name or username contains each word of ``text``,
    by name."""
    for word in text.split():
        people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word)
                               | Q(username__icontains=word))
    return people.order_by("first_name", "last_name", "username", "pk")


class PersonPicker(forms.TextInput):
    """A search box with a ``<datalist>`` that htmx fills with suggestions as one types."""

    input_type = "search"

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        list_id = f"{attrs.get('id') or 'id_' + name}-people"
        attrs.update({"list": list_id, "autocomplete": "off", "spellcheck": "false",
                      "placeholder": attrs.get("placeholder", "Type a name or username"),
                      "hx-get": f"?suggest={name}", "hx-target": f"#{list_id}",
                      "hx-trigger": "focus once, input changed delay:250ms",
                      "hx-sync": "this:replace",
                      # not the enclosing filter form's swap or pushed URL (inherited)
                      "hx-swap": "innerHTML", "hx-push-url": "false"})
        return format_html(
            '<input type="search" name="{}"{}{}><datalist id="{}"></datalist>', name,
            format_html(' value="{}"', value) if value not in (None, "") else "",
            mark_safe(_attrs(dict(sorted(attrs.items())))), list_id)  # noqa: S308 (escaped)


class PersonChoiceField(forms.ModelChoiceField):
    """One person of ``queryset``, chosen by typing (see the module's docstring). A number
    is also taken as the person's id (links such as ``?agent=<id>`` and older clients)."""

    widget = PersonPicker
    default_error_messages = {
        "invalid_choice": "Nobody you may choose here matches “%(value)s”.",
        "ambiguous": "%(count)s people match “%(value)s”: %(some)s. Type more of the name, "
                     "or the username.",
    }

    def __init__(self, queryset=None, **kwargs):
        kwargs.setdefault("help_text", "Type a name or a username; suggestions appear as "
                                       "you type.")
        super().__init__(queryset if queryset is not None else User.objects.none(), **kwargs)

    def label_from_instance(self, obj):
        return person_label(obj)

    def prepare_value(self, value):
        if isinstance(value, User):
            return person_label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            person = self.queryset.filter(pk=int(value)).first()
            return person_label(person) if person else ""
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, User):
            return value
        text = str(value).strip()
        label = _LABEL.search(text)
        for username in ([label.group(1).strip()] if label else []) + [text]:
            person = self.queryset.filter(username=username).first()
            if person is not None:
                return person
        if text.isdigit():
            person = self.queryset.filter(pk=int(text)).first()
            if person is not None:
                return person
        found = list(search_people(self.queryset, text)[:6])
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice", params={"value": text})
        some = ", ".join(person_label(p) for p in found[:5]) + ("…" if len(found) > 5 else "")
        raise forms.ValidationError(
            self.error_messages["ambiguous"], code="ambiguous",
            params={"count": "5+" if len(found) > 5 else len(found), "value": text,
                    "some": some})

    def validate(self, value):
        forms.Field.validate(self, value)


def suggestions(request, form: forms.Form) -> HttpResponse | None:
    """The datalist options answering a :class:`PersonPicker`'s ``?suggest=<field>`` (up to
    :data:`SUGGESTIONS` people of the field's queryset matching the typed text), or
    ``None`` when the request asks for none: a view calls it after building its form."""
    name = request.GET.get("suggest")
    field = form.fields.get(name) if name else None
    if request.method != "GET" or not isinstance(field, PersonChoiceField):
        return None
    people = search_people(field.queryset, request.GET.get(name, "")[:100])[:SUGGESTIONS]
    return HttpResponse(format_html_join("", '<option value="{}"></option>',
                                         ((person_label(p),) for p in people)))
