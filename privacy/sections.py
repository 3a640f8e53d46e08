"""The "Who looked at my data" box on My coaching: the latest views and a link to all."""

from django.template.loader import render_to_string

from . import selectors

LATEST = 3


def my_access_section(request) -> str | None:
    organization, user = request.organization, request.user
    if not user.has_perm("privacy.view_own_access_log", organization):
        return None
    latest = list(selectors.records_about(organization, user)[:LATEST])
    return render_to_string("privacy/my_access_section.html", {
        "latest": latest, "tz": organization.tzinfo,
    }, request=request)
