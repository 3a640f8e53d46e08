"""How the quality dashboards write a number: value, 95 % interval and n, or "too few
reviews to act" below the tenant's minimum (filters, not includes: a page of the
leaderboard writes over a thousand of them). Only numbers the code formats go into the
markup, so it is built as plain strings and marked safe."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

_MUTED = "small text-body-secondary"


def _number(value: float, rate: bool) -> str:
    return f"{value:.1f}{'%' if rate else ''}"


def _estimate(value) -> str:
    if value is None or not value.has_value:
        n = value.n if value is not None else 0
        return (f'<span class="text-body-secondary">—</span> '
                f'<span class="estimate-n {_MUTED}">n {int(n)}</span>')
    if not value.enough:
        return (f'<span class="too-few {_MUTED}">too few reviews to act</span> '
                f'<span class="estimate-n {_MUTED}">n {int(value.n)}</span>')
    interval = (f" [{_number(value.low, value.rate)}–{_number(value.high, value.rate)}]"
                if value.has_interval else "")
    return (f'<strong class="estimate-value">{_number(value.value, value.rate)}</strong>'
            f'<span class="estimate-ci {_MUTED}">{interval} n {int(value.n)}</span>')


@register.filter
def estimate(value) -> str:
    """``{{ cell|estimate }}`` for a :class:`quality.stats.Estimate`."""
    return mark_safe(_estimate(value))  # noqa: S308 - numbers formatted here only


@register.filter
def attribute_cell(cell) -> str:
    """``{{ cell|attribute_cell }}``: the ``<td>`` of one ``(AttributeState, Estimate,
    source)`` of a leaderboard row, greyed for an unverified attribute and saying when the
    number comes from audits."""
    attribute, value, source = cell
    unverified = attribute.automatic and not attribute.verified
    note = ' <span class="small">(audits)</span>' if source == "audit" and attribute.automatic \
        else ""
    css = "text-end text-body-secondary" if unverified else "text-end"
    return mark_safe(f'<td class="{css}">{_estimate(value)}{note}</td>')  # noqa: S308


@register.filter
def signed(value) -> str:
    return f"{value:+.1f}" if value is not None else ""
