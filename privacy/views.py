"""The access log's pages: "Who looked at my data" for every member, the tenant's log
with filters and its CSV export for org admins."""

import csv
import io

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tenancy.people import suggestions
from tenancy.views import org_permission_required

from . import selectors
from .forms import AccessFilterForm

PAGE_SIZE = 50


def _rows(request, records, *, for_agent: bool) -> list[dict]:
    organization = request.organization
    records = list(records)
    hidden = (selectors.evaluations_hidden_from(organization, request.user, records)
              if for_agent else set())
    rows = []
    for record in records:
        if record.kind in selectors.EVALUATION_KINDS and record.object_id in hidden:
            rows.append({"record": record, "url": "", "hidden": True})
        else:
            rows.append({"record": record, "hidden": False,
                         "url": selectors.object_url(organization, record, for_agent=for_agent)})
    return rows


@org_permission_required("privacy.view_own_access_log")
def my_access(request):
    """Who looked at my data: every view of my evaluations, transcripts, assessments…
    by someone else, newest first."""
    records = selectors.records_about(request.organization, request.user)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/my_access.html", {
        "page": page, "rows": _rows(request, page.object_list, for_agent=True),
        "tz": request.organization.tzinfo,
    })


def _filtered(request) -> tuple[AccessFilterForm, selectors.AccessFilters]:
    people, tokens = selectors.filter_choices(request.organization)
    data = request.GET.copy() if request.GET else None
    if data is not None and data.get("viewer", "").startswith("token:"):  # older links
        data["token"] = data.pop("viewer")[-1][len("token:"):]
    form = AccessFilterForm(data, people=people, tokens=tokens)
    filters = selectors.AccessFilters()
    if form.is_valid():
        data = form.cleaned_data
        viewer = (f"token:{data['token']}" if data["token"]
                  else str(data["viewer"].pk) if data["viewer"] else None)
        filters = selectors.AccessFilters(
            subject=data["subject"].pk if data["subject"] else None, viewer=viewer,
            kind=data["kind"] or None, date_from=data["date_from"], date_to=data["date_to"])
    return form, filters


@org_permission_required("privacy.view_access_log")
def access_log(request):
    """The tenant's access log: who viewed whose data, filtered, paged."""
    form, filters = _filtered(request)
    if (answer := suggestions(request, form)) is not None:  # the people boxes' type-ahead
        return answer
    records = selectors.tenant_records(request.organization, filters)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "privacy/access_log.html", {
        "form": form, "page": page, "rows": _rows(request, page.object_list, for_agent=False),
        "query": query.urlencode(), "tz": request.organization.tzinfo,
    }, status=status)


CSV_HEADER = ["viewed_at", "viewer", "viewer_id", "subject", "subject_id", "kind", "channel",
              "object_id", "object", "path"]


@org_permission_required("privacy.view_access_log")
def access_log_export(request):
    """The filtered log as CSV (times in the organization's time zone, ISO 8601). The
    export itself is not written to the log: it shows no one agent's data, only who
    looked."""
    _form, filters = _filtered(request)
    records = selectors.tenant_records(request.organization, filters)
    tz = request.organization.tzinfo
    # Written while the request's tenant scope is active (a streamed body would be read
    # after the middleware left it).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for record in records.iterator(chunk_size=2000):
        writer.writerow([
            timezone.localtime(record.viewed_at, tz).isoformat(timespec="seconds"),
            record.viewer_label, record.viewer_id or "",
            str(record.subject) if record.subject else "", record.subject_id or "",
            record.kind, record.channel, record.object_id, record.object_label, record.path,
        ])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate(timezone=tz).isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="access-log-{request.organization.slug}-{stamp}.csv"')
    return response
