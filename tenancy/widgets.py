"""Choice widgets that write their options in Python, in the markup of Django's own
templates. Django renders one template per option (some 35 µs each): a form choosing among
500 people, or a time zone among 600, spent most of its page there.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: ``True`` a bare name, ``False`` left out."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items() if value is not False)


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.append(format_html_join("", '<option value="{}"{}>{}</option>', (
                (option["value"], mark_safe(_attrs(option["attrs"])), option["label"])  # noqa: S308 (escaped by format_html)
                for option in options)))
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


class FastSelectMultiple(FastSelect, forms.SelectMultiple):
    pass


class FastCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        outer = widget["attrs"]
        parts = [format_html("<div{}{}>",
                             format_html(' id="{}"', outer["id"]) if outer.get("id") else "",
                             format_html(' class="{}"', outer["class"]) if outer.get("class")
                             else "")]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html("<div><label>{}</label>", group_name))
            for option in options:
                option_id = option["attrs"].get("id")
                parts.append(format_html(
                    '<div><label{}><input type="{}" name="{}" value="{}"{}> {}</label></div>',
                    format_html(' for="{}"', option_id) if option_id else "", option["type"],
                    option["name"], option["value"], mark_safe(_attrs(option["attrs"])),  # noqa: S308 (escaped by format_html)
                    option["label"]))
            if group_name:
                parts.append("</div>")
        parts.append("</div>")
        return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)
