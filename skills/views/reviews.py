"""Self-reviews: the coach's queue and decision page (the agent's side is in people.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..enums import ReviewState
from ..forms import ReviewDecisionForm
from ..models import SkillReview
from .common import org_permission_required, org_url, parse_int


def _review_for(request, pk: int, permission: str = "skills.view_review") -> SkillReview:
    """The review if the user may see it; 404 otherwise (never confirm it exists)."""
    review = (
        SkillReview.objects.select_related("user", "skill", "level", "held_level", "decided_by",
                                           "organization")
        .filter(pk=pk).first()
    )
    if review is None or not request.user.has_perm("skills.view_review", review):
        raise Http404("No such review.")
    if permission != "skills.view_review" and not request.user.has_perm(permission, review):
        raise PermissionDenied("You cannot do this with this request.")
    return review


@org_permission_required("skills.list_reviews")
def review_list(request):
    state = request.GET.get("state", ReviewState.REQUESTED)
    if state not in ReviewState.values and state != "all":
        state = ReviewState.REQUESTED
    reviews = selectors.reviews_for_decider(
        organization=request.organization, viewer=request.user,
        state="" if state == "all" else state,
    )
    return render(request, "skills/review_list.html", {
        "reviews": reviews, "state": state, "states": ReviewState.choices,
    })


@org_permission_required("skills.view_my_skills")
def review_detail(request, pk: int):
    review = _review_for(request, pk)
    can_decide = request.user.has_perm("skills.decide_review", review)
    history = selectors.history_of(review.user, skill=review.skill)[:10]
    return render(request, "skills/review_detail.html", {
        "review": review, "form": ReviewDecisionForm(), "can_decide": can_decide,
        "can_withdraw": request.user.has_perm("skills.withdraw_review", review),
        "history": history,
    })


@require_POST
@org_permission_required("skills.view_my_skills")
def review_decide(request, pk: int, decision: str):
    if decision not in ("approve", "reject"):
        raise Http404("No such decision.")
    review = _review_for(request, pk)
    if review.user_id == request.user.pk:
        raise PermissionDenied("You cannot decide your own skill review; your coach does.")
    form = ReviewDecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if decision == "approve":
            services.approve_skill_review(review=review, decided_by=request.user, comment=comment)
            messages.success(request, f"Approved: {review.user} now holds {review.skill.name} "
                                      f"at {review.level.name}.")
        else:
            services.reject_skill_review(review=review, decided_by=request.user, comment=comment)
            messages.success(request, f"Rejected {review.user}'s request for {review.skill.name}.")
    except services.SkillError as error:
        if not request.user.has_perm("skills.decide_review", review) and review.is_open:
            raise PermissionDenied(error.message) from None
        form.add_error("comment", error.message)
        return render(request, "skills/review_detail.html", {
            "review": review, "form": form, "can_decide": review.is_open,
            "history": selectors.history_of(review.user, skill=review.skill)[:10],
        }, status=400)
    next_url = org_url(request, "skills:review_list")
    if parse_int(request.POST.get("stay")):
        next_url = org_url(request, "skills:review_detail", pk=review.pk)
    return redirect(next_url)


@require_POST
@org_permission_required("skills.view_my_skills")
def review_withdraw(request, pk: int):
    review = _review_for(request, pk)
    try:
        services.withdraw_skill_review(review=review, withdrawn_by=request.user)
    except services.SkillError as error:
        if review.user_id != request.user.pk:
            raise PermissionDenied(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, f"Request for {review.skill.name} withdrawn.")
    return redirect(org_url(request, "skills:my_skills"))
