"""Helpers shared by the skills views."""

from django.http import Http404

from tenancy.views import org_permission_required, org_url

__all__ = ["org_permission_required", "org_url", "parse_int"]


def parse_int(value, *, strict: bool = False) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        if strict:
            raise Http404("No such item.") from None
        return None
