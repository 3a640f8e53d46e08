"""How the quality dashboards write a number: value, 95 % interval and n, or "too few
reviews to act" below the tenant's minimum (a filter, not an include: a leaderboard of
500 agents writes thousands of them)."""

from django import template
from django.utils.html import format_html

register = template.Library()


def _number(value: float, rate: bool) -> str:
    return f"{value:.1f}{'%' if rate else ''}"


@register.filter
def estimate(value) -> str:
    """``{{ cell|estimate }}`` for a :class:`quality.stats.Estimate`."""
    if value is None or not value.has_value:
        return format_html('<span class="text-body-secondary">—</span> '
                           '<span class="estimate-n small text-body-secondary">n {}</span>',
                           value.n if value is not None else 0)
    if not value.enough:
        return format_html('<span class="too-few small text-body-secondary">too few reviews to '
                           'act</span> <span class="estimate-n small text-body-secondary">n {}'
                           '</span>', value.n)
    interval = (format_html(" [{}–{}]", _number(value.low, value.rate),
                            _number(value.high, value.rate))
                if value.has_interval else "")
    return format_html('<strong class="estimate-value">{}</strong><span class="estimate-ci small '
                       'text-body-secondary">{} n {}</span>',
                       _number(value.value, value.rate), interval, value.n)


@register.filter
def signed(value) -> str:
    return f"{value:+.1f}" if value is not None else ""
