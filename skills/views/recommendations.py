"""Skill recommendations: a coach's list to decide from and the page with the evidence."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..enums import RecommendationState
from ..forms import RecommendationDecisionForm, ReopenForm
from ..models import SkillRecommendation
from .common import org_permission_required, org_url, parse_int

PAGE_SIZE = 50


def _recommendation_for(request, pk: int) -> SkillRecommendation:
    """The recommendation if the user may see it; 404 otherwise (never confirm it exists)."""
    rec = (SkillRecommendation.objects
           .select_related("user", "skill", "decided_by", "organization").filter(pk=pk).first())
    if rec is None or not request.user.has_perm("skills.view_recommendation", rec):
        raise Http404("No such recommendation.")
    return rec


@org_permission_required("skills.list_recommendations")
def recommendation_list(request):
    state = request.GET.get("state", RecommendationState.PENDING)
    if state not in RecommendationState.values and state != "all":
        state = RecommendationState.PENDING
    recs = selectors.recommendations_for_decider(
        organization=request.organization, viewer=request.user,
        state="" if state == "all" else state,
    )
    # Newest first, a page at a time (index skillrec_org_state_list / skillrec_org_list).
    page = Paginator(recs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "skills/recommendation_list.html", {
        "page": page, "recommendations": page.object_list, "state": state,
        "states": RecommendationState.choices,
    })


def _detail_context(request, rec, form=None, reopen_form=None) -> dict:
    return {
        "rec": rec, "evidence": (evidence := selectors.recommendation_evidence(rec)),
        "tagged_count": sum(1 for e in evidence if e.tagged),
        "predicted_count": sum(1 for e in evidence if not e.tagged),
        "min_probability": services.recommender_settings(request.organization).min_probability,
        "activity": rec.activity.select_related("actor").all(),
        "form": form or RecommendationDecisionForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "can_decide": request.user.has_perm("skills.decide_recommendation", rec),
        "can_reopen": request.user.has_perm("skills.reopen_recommendation", rec),
    }


@org_permission_required("skills.list_recommendations")
def recommendation_detail(request, pk: int):
    rec = _recommendation_for(request, pk)
    return render(request, "skills/recommendation_detail.html", _detail_context(request, rec))


@require_POST
@org_permission_required("skills.list_recommendations")
def recommendation_decide(request, pk: int, decision: str):
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    rec = _recommendation_for(request, pk)
    if not request.user.has_perm("skills.decide_recommendation", rec) and rec.is_pending:
        raise PermissionDenied("You cannot decide this recommendation.")
    form = RecommendationDecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if decision == "approve":
            services.approve_recommendation(recommendation=rec, decided_by=request.user,
                                            comment=comment)
            messages.success(request, f"Approved: {rec.user} now holds {rec.skill.name}.")
        else:
            services.reject_recommendation(recommendation=rec, decided_by=request.user,
                                           comment=comment)
            messages.success(request, f"Rejected {rec.skill.name} for {rec.user}; it will not "
                                      "be recommended to them again.")
    except services.SkillError as error:
        form.add_error("comment", error.message)
        return render(request, "skills/recommendation_detail.html",
                      _detail_context(request, rec, form=form), status=400)
    if parse_int(request.POST.get("stay")):
        return redirect(org_url(request, "skills:recommendation_detail", pk=rec.pk))
    return redirect(org_url(request, "skills:recommendation_list"))


@require_POST
@org_permission_required("skills.list_recommendations")
def recommendation_reopen(request, pk: int):
    rec = _recommendation_for(request, pk)
    if not request.user.has_perm("skills.reopen_recommendation", rec):
        raise PermissionDenied("Only an org admin can reopen a rejected recommendation.")
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.reopen_recommendation(recommendation=rec, reopened_by=request.user,
                                           reason=form.cleaned_data["reason"])
        except services.SkillError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, "Reopened: the recommendation is pending again.")
            return redirect(org_url(request, "skills:recommendation_detail", pk=rec.pk))
    return render(request, "skills/recommendation_detail.html",
                  _detail_context(request, rec, reopen_form=form), status=400)
