"""Small display helpers for skills templates."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration_text(value: timedelta | None) -> str:
    """A duration for people: "2 d 4 h", "3 h 20 min", "12 min"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def index(sequence, position: int):
    return sequence[position]
