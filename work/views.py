"""Work pages of the manager workspace: the list, one item, and the CSV upload job."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.functional import cached_property

from tenancy.people import suggestions
from tenancy.views import org_permission_required, org_url

from . import extensions, selectors, services
from .enums import INTERACTION_KINDS
from .forms import WorkFilterForm, WorkImportForm
from .models import Transcript, WorkImport, WorkItem

PAGE_SIZE = 50


class CountCappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows: counting every item of a years-long history cost
    more than the page itself and grew with it. Past the cap the list says "10000+" (the
    pager's ``capped``) and pages up to the cap; filters narrow it down."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[:self.COUNT_CAP + 1].count()
        self.capped = counted > self.COUNT_CAP
        return min(counted, self.COUNT_CAP)

    capped = False


@org_permission_required("work.view_work_items")
def work_list(request):
    organization = request.organization
    form = WorkFilterForm(request.GET or None, organization=organization)
    if (answer := suggestions(request, form)) is not None:  # the agent box's type-ahead
        return answer
    filters = form.cleaned_data if form.is_valid() else {}
    paginator = CountCappedPaginator(selectors.work_items_for_list(organization, filters),
                                     PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "filtered": any(filters.values()),
        "can_import": request.user.has_perm("work.import_work_items", organization),
    }
    if request.htmx and request.htmx.target == "work-results":
        return render(request, "work/work_list.html#results", context)
    return render(request, "work/work_list.html", context)


@org_permission_required("work.view_work_items")
def work_detail(request, pk: int):
    try:
        item = selectors.work_item_detail(request.organization, pk)
    except WorkItem.DoesNotExist:
        raise Http404("No such work item.") from None
    panels = extensions.item_panels(request, item)
    context = {"item": item, "panels": panels, "turns": _turns(item),
               "interaction_kinds": sorted(INTERACTION_KINDS)}
    return render(request, "work/work_detail.html", context)


def _turns(item: WorkItem) -> list[dict]:
    """The transcript's turns for display: number (from 1), speaker, text, and the
    offset as m:ss (or h:mm:ss) when the source sent one."""
    try:
        transcript = item.transcript
    except Transcript.DoesNotExist:
        return []
    return [{"number": number, "speaker": turn["speaker"], "text": turn["text"],
             "at": _offset(turn.get("at")), "seconds": turn.get("at")}
            for number, turn in enumerate(transcript.turns, start=1)]


def _offset(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@org_permission_required("work.import_work_items")
def work_import_new(request):
    form = WorkImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            work_import = services.start_work_import(
                organization=request.organization, upload=upload,
                create_missing=form.cleaned_data["create_missing"],
                dry_run=form.cleaned_data["dry_run"], created_by=request.user,
            )
        except services.ImportRefused as refused:
            form.add_error("file", str(refused))
        else:
            messages.info(request, f"“{work_import.filename}” is queued for import.")
            return redirect(org_url(request, "work:import_detail", pk=work_import.pk))
    context = {"form": form, "imports": selectors.recent_imports(request.organization)}
    return render(request, "work/import_new.html", context)


@org_permission_required("work.import_work_items")
def work_import_detail(request, pk: int):
    try:
        work_import = selectors.work_import(request.organization, pk)
    except WorkImport.DoesNotExist:
        raise Http404("No such import.") from None
    context = {"work_import": work_import, "progress": services.import_progress(work_import)}
    if request.htmx:
        return render(request, "work/import_detail.html#status", context)
    return render(request, "work/import_detail.html", context)
