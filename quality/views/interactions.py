"""Interactions for QA analysts, org admins and coaches: the list with automatic and audit
scores, one interaction with its transcript, evaluations and best-response bookmarks."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.people import PersonChoiceField, suggestions
from tenancy.views import org_permission_required, org_url

from .. import selectors
from ..models import BestResponse
from ..services.audits import bookmark_best_response, remove_best_response
from ..services.errors import QualityError

PAGE_SIZE = 50
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class InteractionFilterForm(forms.Form):
    # A type-ahead box (tenancy.people): a select offered every agent (521 options at 500).
    agent = PersonChoiceField(label="Agent", required=False, help_text="")
    queue = forms.ChoiceField(label="Queue", required=False, widget=SELECT)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control form-control-sm"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control form-control-sm"}))
    has_audit = forms.ChoiceField(label="Audited", required=False, widget=SELECT, choices=[
        ("", "Any"), ("yes", "Audited"), ("no", "Not audited")])
    has_transcript = forms.ChoiceField(label="Transcript", required=False, widget=SELECT,
                                       choices=[("", "Any"), ("yes", "Has a transcript"),
                                                ("no", "No transcript")])

    def __init__(self, data, *, agents, queues: list[str]):
        super().__init__(data)
        self.fields["agent"].queryset = agents
        self.fields["agent"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": "All agents"})
        self.fields["queue"].choices = [("", "All queues"), *((q, q) for q in queues)]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "“To” is before “From”.")
        return data


def _interaction(request, pk: int):
    """An interaction the user may audit (404 otherwise, never 403)."""
    from work.models import WorkItem

    try:
        return selectors.interaction_detail(request.organization, request.user, pk)
    except WorkItem.DoesNotExist:
        raise Http404("No such interaction.") from None


@org_permission_required("quality.audit")
def interaction_list(request):
    organization = request.organization
    agents, queues = selectors.audit_filter_choices(organization, request.user)
    form = InteractionFilterForm(request.GET or None, agents=agents, queues=queues)
    if (answer := suggestions(request, form)) is not None:  # the agent box's type-ahead
        return answer
    filters = selectors.InteractionFilters()
    if form.is_valid():
        agent = form.cleaned_data["agent"]
        filters = selectors.InteractionFilters(**{**form.cleaned_data,
                                                  "agent": agent.pk if agent else None})
    rows = selectors.interaction_list(organization, request.user, filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(),
               "tz": organization.tzinfo}
    template = ("quality/interaction_rows.html" if request.htmx
                else "quality/interaction_list.html")
    return render(request, template, context)


@org_permission_required("quality.audit")
def interaction_detail(request, pk: int):
    item = _interaction(request, pk)
    evaluations = list(selectors.interaction_evaluations(request.organization, request.user,
                                                         item))
    scorecard = selectors.scorecard_for(request.organization, queue=item.queue)
    transcript = getattr(item, "transcript", None)
    agent = item.resolved_by or item.assigned_to
    # The page shows the agent's transcript and evaluations of it.
    record_access(request, subject=agent, kind=AccessKind.TRANSCRIPT, obj=item,
                  label=(f"Transcript of {item.label}" if transcript
                         else f"Interaction {item.label}"))
    context = {
        "item": item,
        "agent": agent,
        "turns": list(enumerate(transcript.turns)) if transcript else [],
        "evaluations": evaluations,
        "mine": next((e for e in evaluations
                      if e.kind == "manual" and e.evaluator_id == request.user.pk), None),
        "best_responses": list(selectors.best_responses_of(item)),
        "attributes": list(scorecard.attributes.all()) if scorecard else [],
        "may_audit": agent != request.user and selectors.may_audit_agent(
            request.organization, request.user, agent),
        "sees_all": selectors.sees_all_audits(request.organization, request.user),
    }
    return render(request, "quality/interaction_detail.html", context)


def _back(request, item):
    target = request.POST.get("next", "")
    if target == "audit" and request.POST.get("evaluation", "").isdigit():
        return redirect(org_url(request, "quality:audit", pk=int(request.POST["evaluation"])))
    return redirect(org_url(request, "quality:interaction", pk=item.pk))


@require_POST
@org_permission_required("quality.audit")
def best_response_add(request, pk: int):
    item = _interaction(request, pk)
    try:
        saved = bookmark_best_response(
            interaction=item, attribute_key=request.POST.get("attribute_key", "").strip(),
            actor=request.user, note=request.POST.get("note", ""),
        )
    except QualityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Bookmarked as a best response for “{saved.attribute_name}”.")
    return _back(request, item)


@require_POST
@org_permission_required("quality.audit")
def best_response_remove(request, pk: int):
    bookmark = (BestResponse.objects.filter(organization=request.organization, pk=pk)
                .select_related("interaction").first())
    if bookmark is None:
        raise Http404("No such bookmark.")
    item = _interaction(request, bookmark.interaction_id)
    try:
        remove_best_response(best_response=bookmark, actor=request.user)
    except QualityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Bookmark for “{bookmark.attribute_name}” removed.")
    return _back(request, item)
