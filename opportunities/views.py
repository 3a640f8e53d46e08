"""Opportunity pages for org admins: list, create/edit with the condition builder and its
preview count, the opportunity with its match log, delete."""

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenancy.errors import add_service_error
from tenancy.views import org_permission_required, org_url

from . import conditions, selectors, services
from .conditions import OPERATOR_LABELS
from .extensions import with_links
from .fields import work_item_fields
from .forms import ConditionBuilder, OpportunityForm, Rule, SkillRows, opportunity_data
from .models import CoachingOpportunity

PERMISSION = "opportunities.manage_opportunities"
RULE_PATH = re.compile(r"^(?:all|any)\[(\d+)\]")


def _get(request, pk: int) -> CoachingOpportunity:
    try:
        return selectors.opportunity_detail(request.organization, pk)
    except CoachingOpportunity.DoesNotExist:
        raise Http404("No such opportunity.") from None


def _friendly(message: str, builder: ConditionBuilder) -> str:
    """In the rules editor, "all[1]: …" reads better as "Rule 2: …"."""
    if builder.mode != "rules":
        return message
    return RULE_PATH.sub(lambda m: f"Rule {int(m[1]) + 1}", message, count=1)


def describe(condition) -> str:
    """A condition in words, for the opportunity page."""
    if "all" in condition or "any" in condition:
        key = "all" if "all" in condition else "any"
        joiner = " and " if key == "all" else " or "
        parts = [describe(c) for c in condition[key]]
        text = joiner.join(parts)
        return f"({text})" if len(parts) > 1 else text
    if "not" in condition:
        return f"not {describe(condition['not'])}"
    fields = work_item_fields()
    spec = fields.get(condition["field"])
    label = spec.label if spec else condition["field"].replace("attributes.", "attribute ")
    op = OPERATOR_LABELS.get(condition["op"], condition["op"])
    if "value" not in condition:
        return f"{label} {op}"
    value = condition["value"]
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return f"{label} {op} {value}"


@org_permission_required(PERMISSION)
def opportunity_list(request):
    rows = selectors.opportunity_list(request.organization)
    return render(request, "opportunities/list.html", {"opportunities": rows})


@org_permission_required(PERMISSION)
def opportunity_detail(request, pk: int):
    opportunity = _get(request, pk)
    preview, preview_error = None, ""
    try:
        preview = selectors.preview_count(organization=request.organization,
                                          condition=opportunity.condition,
                                          kinds=opportunity.kinds)
    except conditions.ConditionError as error:
        preview_error = str(error)
    context = {
        "opportunity": opportunity,
        "condition_text": describe(opportunity.condition) if not preview_error else "",
        "preview": preview, "preview_error": preview_error,
        "uses_changes": not preview_error and conditions.uses_changes(opportunity.condition),
        "matches": with_links(request, selectors.match_log(opportunity)),
    }
    return render(request, "opportunities/detail.html", context)


def _edit(request, opportunity: CoachingOpportunity | None):
    organization = request.organization
    if request.method == "POST":
        form = OpportunityForm(request.POST, organization=organization,
                               opportunity=opportunity)
        builder = ConditionBuilder(request.POST)
        skill_rows = SkillRows(organization, request.POST)
    else:
        initial = {}
        if opportunity is not None:
            initial = {
                "name": opportunity.name, "description": opportunity.description,
                "active": opportunity.active, "kinds": opportunity.kinds,
                "fires_on": opportunity.fires_on, "coach_choice": opportunity.coach_choice,
                "named_coach": opportunity.named_coach_id,
                "due_in_days": opportunity.due_in_days,
                "suppress_days": opportunity.suppress_days,
                "sample_rate": opportunity.sample_rate,
                "exempt_first_days": opportunity.exempt_first_days,
                "courses": [link.course_id for link in opportunity.course_links.all()],
                "coach_survey": opportunity.coach_survey_id,
                "trainee_survey": opportunity.trainee_survey_id,
                "virtual_coach_name": getattr(getattr(opportunity, "virtual_coach", None),
                                              "name", ""),
            }
        form = OpportunityForm(initial=initial or None, organization=organization,
                               opportunity=opportunity)
        builder = ConditionBuilder(
            condition=opportunity.condition if opportunity else
            {"all": [{"field": "reassignment_count", "op": "gte", "value": 3}]}
        )
        skill_rows = SkillRows(organization, initial=[
            (s.skill, s.level) for s in opportunity.skill_awards.all()
        ] if opportunity else ())
    preview, condition_error = None, ""
    action = request.POST.get("_action", "save") if request.method == "POST" else ""
    if request.method == "POST":
        condition = builder.condition()
        if builder.error:
            condition_error = builder.error
        elif action in ("preview", "save"):
            try:
                preview = selectors.preview_count(
                    organization=organization, condition=condition,
                    kinds=request.POST.getlist("kinds"),
                )
            except conditions.ConditionError as error:
                condition_error = _friendly(str(error), builder)
        if action == "save" and not condition_error and form.is_valid():
            skills = skill_rows.cleaned()
            if skills is not None:
                try:
                    saved = services.save_opportunity(
                        organization=organization, opportunity=opportunity,
                        data=opportunity_data(form, condition, skills),
                    )
                except services.OpportunityError as error:
                    if error.field == "condition":
                        condition_error = _friendly(error.message, builder)
                    else:
                        add_service_error(form, error)
                else:
                    messages.success(request, f"Opportunity “{saved.name}” saved.")
                    return redirect(org_url(request, "opportunities:detail", pk=saved.pk))
    context = {
        "form": form, "builder": builder, "skill_rows": skill_rows,
        "opportunity": opportunity, "preview": preview, "condition_error": condition_error,
        "template_row": {"index": "__i__", "rule": Rule(), "attribute": ""},
    }
    status = 400 if action == "save" else 200
    return render(request, "opportunities/form.html", context, status=status)


@org_permission_required(PERMISSION)
def opportunity_create(request):
    return _edit(request, None)


@org_permission_required(PERMISSION)
def opportunity_edit(request, pk: int):
    return _edit(request, _get(request, pk))


@require_POST
@org_permission_required(PERMISSION)
def opportunity_preview(request):
    """The preview count as a fragment (htmx, while editing)."""
    builder = ConditionBuilder(request.POST)
    condition = builder.condition()
    preview, error = None, builder.error
    if not error:
        try:
            preview = selectors.preview_count(organization=request.organization,
                                              condition=condition,
                                              kinds=request.POST.getlist("kinds"))
        except conditions.ConditionError as exc:
            error = _friendly(str(exc), builder)
    return render(request, "opportunities/partials/preview.html",
                  {"preview": preview, "condition_error": error})


@require_POST
@org_permission_required(PERMISSION)
def opportunity_delete(request, pk: int):
    opportunity = _get(request, pk)
    services.delete_opportunity(opportunity=opportunity)
    messages.success(request, f"Opportunity “{opportunity.name}” deleted; its assessments stay.")
    return redirect(org_url(request, "opportunities:list"))
