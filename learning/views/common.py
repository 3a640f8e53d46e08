"""Helpers shared by the learning views."""

from django.http import Http404

from tenancy.views import org_permission_required, org_url

__all__ = ["int_or_404", "org_permission_required", "org_url", "parse_int"]


def parse_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def int_or_404(value) -> int:
    number = parse_int(value)
    if number is None:
        raise Http404("No such item.")
    return number
