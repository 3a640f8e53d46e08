"""The fast choice widgets write exactly the markup of Django's templates (whitespace
aside), escaped, with the chosen options marked."""

import re

import pytest
from django import forms

from tenancy.widgets import FastCheckboxSelectMultiple, FastSelect, FastSelectMultiple

CHOICES = [(1, "Ann <admin> & co"), (2, "Ben"), ("Group", [(3, "Cid"), (4, "Dan")])]


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize(("django_widget", "fast_widget", "value"), [
    (forms.Select, FastSelect, 3),
    (forms.SelectMultiple, FastSelectMultiple, [1, 3]),
    (forms.CheckboxSelectMultiple, FastCheckboxSelectMultiple, [2, 4]),
])
def test_fast_widget_renders_as_django_does(django_widget, fast_widget, value):
    attrs = {"class": "form-select", "data-x": 'a"b', "required": True, "disabled": False}
    expected = django_widget(choices=CHOICES, attrs=attrs).render("who", value,
                                                                  attrs={"id": "id_who"})
    rendered = fast_widget(choices=CHOICES, attrs=attrs).render("who", value,
                                                                attrs={"id": "id_who"})
    assert _normal(rendered) == _normal(expected)
    assert "Ann &lt;admin&gt; &amp; co" in rendered and "<admin>" not in rendered
