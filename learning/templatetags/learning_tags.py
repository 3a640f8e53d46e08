"""Template helpers for learning pages: sanitised article bodies and durations."""

from urllib.parse import urlsplit

from django import template

from ..sanitize import render_html

register = template.Library()


@register.filter
def safe_html(value: str):
    """Render a stored rich-text body, cleaned again on the way out."""
    return render_html(value or "")


@register.filter
def minutes_text(value) -> str:
    if not value:
        return ""
    hours, minutes = divmod(int(value), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


@register.filter
def host(url: str) -> str:
    return urlsplit(url or "").hostname or ""
