"""Small display helpers for work pages."""

from django import template

register = template.Library()

STATE_CLASSES = {
    "new": "text-bg-info",
    "in_progress": "text-bg-primary",
    "on_hold": "text-bg-warning",
    "resolved": "text-bg-success",
    "closed": "text-bg-secondary",
    "cancelled": "text-bg-light border",
}
EVENT_CLASSES = {
    "created": "text-bg-info",
    "updated": "text-bg-light border",
    "resolved": "text-bg-success",
    "closed": "text-bg-secondary",
    "reopened": "text-bg-warning",
}
IMPORT_CLASSES = {
    "queued": "text-bg-light border",
    "running": "text-bg-primary",
    "succeeded": "text-bg-success",
    "failed": "text-bg-danger",
}


@register.filter
def state_badge(state: str) -> str:
    return STATE_CLASSES.get(state, "text-bg-light border")


@register.filter
def event_badge(event_type: str) -> str:
    return EVENT_CLASSES.get(event_type, "text-bg-light border")


@register.filter
def import_badge(status: str) -> str:
    return IMPORT_CLASSES.get(status, "text-bg-light border")


@register.filter
def change_value(value) -> str:
    """A value from an event's changes, readable: empty as an em dash, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s"
