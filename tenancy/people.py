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

import copy
import re
from typing import NamedTuple

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
    suggest_for = None  # the field whose suggestions to ask for, when not ``name``

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        list_id = f"{attrs.get('id') or 'id_' + name}-people"
        attrs.update({"list": list_id, "autocomplete": "off", "spellcheck": "false",
                      "placeholder": attrs.get("placeholder", "Type a name or username"),
                      "hx-get": f"?suggest={self.suggest_for or name}", "hx-target": f"#{list_id}",
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
    is also taken as the person's id (links such as ``?agent=<id>`` and older clients).

    On a page showing peers as pseudonyms (tenancy.pseudonyms), :meth:`as_seen_by` makes
    the box speak as the page does: its value, suggestions and errors are the labels the
    viewer sees ("Agent K7Q2MX", or the name of someone they may see by name), and typed
    text is matched against those labels only (:meth:`PeerNames.matches`), never against
    the name or username of someone shown by pseudonym. Pseudonyms are not in the
    database, so this compares in Python over ``people`` (the page's own list of them)."""

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

    names = None  # a PeerNames whose pseudonyms are on (as_seen_by), else None
    people: list[User] | None = None  # the queryset's people, when the page has them

    def as_seen_by(self, names, people) -> None:
        """Label and find ``people`` (this field's choices, in the order shown, already
        loaded by the page) as ``names`` shows them; an id is then looked up among them."""
        self.people = list(people)
        if names.active:
            self.names = names

    def shown(self, person: User) -> str:
        return self.names.label(person) if self.names is not None else person_label(person)

    def label_from_instance(self, obj):
        return self.shown(obj)

    def _by_pk(self, pk: int) -> User | None:
        if self.people is not None:
            return next((p for p in self.people if p.pk == pk), None)
        return self.queryset.filter(pk=pk).first()

    def suggest_people(self, text: str) -> list[tuple[int, str]]:
        """The ids and labels of up to :data:`SUGGESTIONS` people matching ``text``."""
        if self.names is not None:
            found = [p for p in self.people if self.names.matches(p, text)][:SUGGESTIONS]
        else:
            found = search_people(self.queryset, text)[:SUGGESTIONS]
        return [(p.pk, self.shown(p)) for p in found]

    def suggest(self, text: str) -> list[str]:
        """The labels of up to :data:`SUGGESTIONS` people matching ``text``."""
        return [label for _pk, label in self.suggest_people(text)]

    def prepare_value(self, value):
        if isinstance(value, User):
            return self.shown(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            person = self._by_pk(int(value))
            return self.shown(person) if person else ""
        return value

    def _seen_to_python(self, text: str) -> User:
        if text.isdigit() and (person := self._by_pk(int(text))) is not None:
            return person
        wanted = text.casefold()
        found = [p for p in self.people if self.shown(p).casefold() == wanted]
        if len(found) != 1:
            found = [p for p in self.people if self.names.matches(p, text)][:6]
        return self._one(found, text)

    def _one(self, found: list[User], text: str) -> User:
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(self.error_messages["invalid_choice"],
                                        code="invalid_choice", params={"value": text})
        some = ", ".join(self.shown(p) for p in found[:5]) + ("…" if len(found) > 5 else "")
        raise forms.ValidationError(
            self.error_messages["ambiguous"], code="ambiguous",
            params={"count": "5+" if len(found) > 5 else len(found), "value": text,
                    "some": some})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, User):
            return value
        text = str(value).strip()
        if self.names is not None:
            return self._seen_to_python(text)
        label = _LABEL.search(text)
        for username in ([label.group(1).strip()] if label else []) + [text]:
            person = self.queryset.filter(username=username).first()
            if person is not None:
                return person
        if text.isdigit() and (person := self._by_pk(int(text))) is not None:
            return person
        return self._one(list(search_people(self.queryset, text)[:6]), text)

    def validate(self, value):
        forms.Field.validate(self, value)


# --- several people ------------------------------------------------------------------


class Picked(NamedTuple):
    """What a :class:`PeoplePicker` submits: the ids of the people ticked in its list and the
    text typed in its box."""

    ids: list[str]
    text: str


class PeoplePicker(forms.Widget):
    """The chosen people as ticked checkboxes (untick one to remove them) above a
    :class:`PersonPicker` box named ``<name>_search`` to add one more by typing. With
    JavaScript (``js/people-picker.js``), picking a suggestion ticks that person into the
    list and empties the box, so several are added before saving; without it, the typed
    text is resolved when the form is sent."""

    def text_name(self, name: str) -> str:
        return f"{name}_search"

    def id_for_label(self, id_):
        return id_  # the search box

    def value_from_datadict(self, data, files, name):
        ids = data.getlist(name) if hasattr(data, "getlist") else list(data.get(name) or [])
        return Picked([str(pk) for pk in ids], str(data.get(self.text_name(name)) or ""))

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty list is a choice too

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        box_id = attrs.get("id") or f"id_{name}"
        chosen, text = value if isinstance(value, Picked) else ([], "")
        rows = format_html_join(
            "", '<li><label class="form-check-label"><input class="form-check-input me-1" '
                'type="checkbox" name="{}" value="{}" checked> {}</label></li>',
            ((name, pk, label) for pk, label in chosen))
        box = PersonPicker(attrs={**attrs, "data-people-picker": name})
        box.suggest_for = name
        box = box.render(self.text_name(name), text, {"id": box_id})
        return format_html(
            '<div class="people-picker"><ul class="list-unstyled mb-2" id="{}-chosen" '
            'aria-label="Chosen">{}</ul>{}</div>', box_id, rows, box)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    """Several people of ``queryset``: the multi-valued sibling of
    :class:`PersonChoiceField` (a ``<select multiple>`` or a checkbox per person grew with
    the organization). Ticked ids are checked against ``queryset`` as Django's own field
    does (another tenant's id: "Select a valid choice"); typed text is resolved by a
    :class:`PersonChoiceField` over the same queryset, with its errors, and added. On a page
    showing pseudonyms, :meth:`as_seen_by` labels and matches as that field does."""

    widget = PeoplePicker

    def __init__(self, queryset=None, **kwargs):
        kwargs.setdefault("help_text", "Untick someone to remove them; type a name or a "
                                       "username to add someone.")
        super().__init__(queryset if queryset is not None else User.objects.none(), **kwargs)
        self.one = PersonChoiceField(queryset=self.queryset, required=False)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result.one = copy.deepcopy(self.one, memo)
        return result

    def _set_queryset(self, queryset):
        super()._set_queryset(queryset)
        if hasattr(self, "one"):
            self.one.queryset = queryset

    queryset = property(forms.ModelMultipleChoiceField._get_queryset, _set_queryset)

    def as_seen_by(self, names, people) -> None:
        self.one.as_seen_by(names, people)

    def suggest(self, text: str) -> list[tuple[int, str]]:
        return self.one.suggest_people(text)

    def prepare_value(self, value):
        if isinstance(value, Picked):
            valid = [pk for pk in value.ids if pk.isdigit()]
            people = {str(p.pk): p for p in self.queryset.filter(pk__in=valid)} if valid else {}
            return Picked([(p.pk, self.one.shown(p)) for pk in dict.fromkeys(value.ids)
                           if (p := people.get(pk))], value.text)
        people = [p for p in (value or []) if isinstance(p, User)]
        return Picked([(p.pk, self.one.shown(p)) for p in people], "")

    def clean(self, value):
        ids, text = value if isinstance(value, Picked) else (list(value or []), "")
        people = list(self._check_values(ids)) if ids else []
        order = {pk: i for i, pk in enumerate(dict.fromkeys(ids))}
        people.sort(key=lambda p: order.get(str(p.pk), 0))
        if text.strip():
            person = self.one.clean(text)
            if person is not None and person not in people:
                people.append(person)
        if self.required and not people:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        self.run_validators(people)
        return people

    def has_changed(self, initial, data):
        return True


def suggestions(request, form: forms.Form) -> HttpResponse | None:
    """The datalist options answering a :class:`PersonPicker`'s ``?suggest=<field>`` (up to
    :data:`SUGGESTIONS` people of the field's queryset matching the typed text), or
    ``None`` when the request asks for none: a view calls it after building its form."""
    name = request.GET.get("suggest")
    field = form.fields.get(name) if name else None
    if request.method != "GET":
        return None
    if isinstance(field, PersonChoiceField):
        labels = field.suggest(request.GET.get(name, "")[:100])
        return HttpResponse(format_html_join("", '<option value="{}"></option>',
                                             ((label,) for label in labels)))
    if isinstance(field, PeopleChoiceField):  # the id lets the page tick the person
        found = field.suggest(request.GET.get(field.widget.text_name(name), "")[:100])
        return HttpResponse(format_html_join("", '<option value="{}" data-id="{}"></option>',
                                             ((label, pk) for pk, label in found)))
    return None
