"""The "Who looked at my data" box on My coaching: the latest views and a link to all."""

from django.template.loader import render_to_string

from . import selectors

LATEST = 3


def my_access_section(request) -> str | None:
    organization, user = request.organization, request.user
    if not user.has_perm("privacy.view_own_access_log", organization):
        return None
    latest = list(selectors.records_about(organization, user)[:LATEST])
    hidden = selectors.evaluations_hidden_from(organization, user, latest)
    rows = [{"record": r, "hidden": r.kind in selectors.EVALUATION_KINDS and r.object_id in hidden}
            for r in latest]
    return render_to_string("privacy/my_access_section.html", {
        "latest": rows, "tz": organization.tzinfo,
    }, request=request)
