"""Scorecard pages for org admins and QA analysts: the list, a version with its sections
and attributes and its version history, the editor (a scorecard with attribute rows), the
JSON export and archiving."""

import json
from itertools import groupby

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.errors import DomainError
from tenancy.views import org_permission_required, org_url

from ..forms import (
    AttributeFormSet,
    ScorecardForm,
    attribute_initial,
    rows_of,
    scorecard_data_from,
)
from ..models import Scorecard
from ..scoring.rule_specs import describe_rule
from ..services import scorecards as service

MANAGE = "quality.manage_scorecards"
PREFIX = "attributes"


def _scorecard_or_404(request, pk: int) -> Scorecard:
    """A scorecard version of the current organization (404 for any other)."""
    card = (Scorecard.objects.filter(organization=request.organization, pk=pk)
            .select_related("created_by").first())
    if card is None:
        raise Http404("No such scorecard.")
    return card


@org_permission_required(MANAGE)
def scorecard_list(request):
    return render(request, "quality/scorecard_list.html", {
        "scorecards": service.scorecards_for_list(request.organization),
    })


@org_permission_required(MANAGE)
def scorecard_detail(request, pk: int):
    card = _scorecard_or_404(request, pk)
    attributes = list(card.attributes.all())
    for attribute in attributes:
        attribute.rule_text = describe_rule(attribute.auto)
        attribute.rule_json = json.dumps(attribute.auto, ensure_ascii=False) \
            if attribute.auto else ""
    sections = [(section or "", list(rows))
                for section, rows in groupby(attributes, key=lambda a: a.section)]
    versions = list(service.versions_of(card))
    return render(request, "quality/scorecard_detail.html", {
        "scorecard": card, "sections": sections, "versions": versions,
        "is_latest": versions[0].pk == card.pk,
        "total_weight": sum(a.weight for a in attributes),
    })


def _blank_formset(initial: list[dict] | None = None):
    return AttributeFormSet(prefix=PREFIX, initial=initial)


@org_permission_required(MANAGE)
def scorecard_edit(request, pk: int | None = None):
    card = _scorecard_or_404(request, pk) if pk is not None else None
    if card is not None:
        latest = service.latest_version(card)
        if latest.pk != card.pk:
            messages.info(request, f"Version {card.version} is not the latest; you are "
                                   f"editing version {latest.version}.")
            return redirect(org_url(request, "quality:scorecard_edit", pk=latest.pk))
        initial = {"name": card.name, "description": card.description, "queue": card.queue,
                   "default": card.is_default}
        rows = [attribute_initial(a) for a in card.attributes.all()]
    else:
        initial, rows = {"default": not Scorecard.objects.filter(
            organization=request.organization, is_current=True).exists()}, []

    if request.method != "POST":
        form, formset = ScorecardForm(initial=initial), _blank_formset(rows)
        return _editor(request, card, form, formset)

    form = ScorecardForm(request.POST)
    formset = AttributeFormSet(request.POST, prefix=PREFIX)
    if "add_row" in request.POST:
        # One more empty row, without validating what is half typed.
        values = {name: form[name].value() for name in ScorecardForm.base_fields}
        return _editor(request, card, ScorecardForm(initial=values),
                       _blank_formset(rows_of(formset)))
    if form.is_valid() and formset.is_valid():
        data = scorecard_data_from(form, formset)
        try:
            if card is None:
                saved = service.create_scorecard(organization=request.organization,
                                                 data=data, actor=request.user)
            else:
                saved = service.update_scorecard(scorecard=card, data=data,
                                                 actor=request.user)
        except service.ScorecardInvalid as error:
            _show_refusal(form, formset, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if card is not None and saved.pk != card.pk:
                note = (f"Saved as version {saved.version}: version {card.version} has "
                        "evaluations, which keep it.")
            else:
                note = f"Scorecard “{saved.name}” saved."
            messages.success(request, note)
            return redirect(org_url(request, "quality:scorecard_detail", pk=saved.pk))
    return _editor(request, card, form, formset)


def _show_refusal(form, formset, error) -> None:
    """Put the service's refusal next to the row and field it names."""
    if error.attribute is not None:
        kept = [f for f in formset.forms
                if f.cleaned_data and not formset._should_delete_form(f)
                and (f.has_changed() or f.cleaned_data.get("key"))]
        if error.attribute <= len(kept):
            row = kept[error.attribute - 1]
            field = {"answer": "answer_type"}.get(error.field, error.field)
            detail = error.detail[:1].upper() + error.detail[1:]
            row.add_error(field if field in row.fields else None, detail)
            return
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _editor(request, card, form, formset):
    return render(request, "quality/scorecard_form.html", {
        "scorecard": card, "form": form, "formset": formset,
    })


def _download(entries: list[dict], filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(entries, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@org_permission_required(MANAGE)
def scorecard_export(request, pk: int):
    card = _scorecard_or_404(request, pk)
    return _download([service.scorecard_as_json(card)],
                     f"scorecard-{card.key}-v{card.version}.json")


@org_permission_required(MANAGE)
def scorecards_export(request):
    return _download(service.export_scorecards(request.organization),
                     f"scorecards-{request.organization.slug}.json")


@require_POST
@org_permission_required(MANAGE)
def scorecard_archive(request, pk: int):
    card = _scorecard_or_404(request, pk)
    try:
        service.archive_scorecard(scorecard=card, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{card.name}” archived: no longer used for new "
                                  "evaluations; its evaluations keep it.")
    return redirect(org_url(request, "quality:scorecard_detail", pk=card.pk))
