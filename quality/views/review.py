"""The agent's side of "Agent accept & dispute": accepting or disputing their own audit
from its evaluation page, and the Review section of their My coaching page.

Only the audited agent answers a review: for anyone else the answer URLs are 404, like an
evaluation they may not see.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenancy.views import org_permission_required, org_url

from .. import selectors, selectors_review
from ..models import Evaluation
from ..services.disputes import DisputedAttribute, acknowledge, raise_dispute
from ..services.errors import QualityError
from . import audits

REVIEW_PAGE = 20  # rows per page of a Review tab


def _own_review(request, pk: int) -> Evaluation:
    """The user's own audit, released to them (404 otherwise, never 403)."""
    try:
        evaluation = selectors.visible_evaluations(request.organization, request.user).get(pk=pk)
    except Evaluation.DoesNotExist:
        raise Http404("No such evaluation.") from None
    if evaluation.agent_id != request.user.pk:
        raise Http404("No such evaluation.")
    return evaluation


def _back(request, evaluation: Evaluation):
    return redirect(org_url(request, "quality:evaluation", pk=evaluation.pk) + "#review")


@require_POST
@org_permission_required("quality.view_own_quality")
def review_accept(request, pk: int):
    evaluation = _own_review(request, pk)
    try:
        evaluation = acknowledge(evaluation=evaluation, agent=request.user)
    except QualityError as error:
        messages.error(request, error.message)
    else:
        total = "—" if evaluation.total is None else f"{evaluation.total:g}"
        messages.success(request, f"You accepted the audit; its score {total} stands "
                                  f"({evaluation.get_review_state_display().lower()}).")
    return _back(request, evaluation)


def _disputed(request) -> list[DisputedAttribute]:
    """The attributes ticked in the dispute form, in the order posted."""
    keys = list(dict.fromkeys(k for k in request.POST.getlist("dispute") if k))
    return [DisputedAttribute(key, request.POST.get(f"reason-{key}", ""),
                              request.POST.get(f"proposed-{key}") or None)
            for key in keys]


@require_POST
@org_permission_required("quality.view_own_quality")
def review_dispute(request, pk: int):
    evaluation = _own_review(request, pk)
    try:
        dispute = raise_dispute(evaluation=evaluation, agent=request.user,
                                items=_disputed(request))
    except QualityError as error:
        # The evaluation page again, with the error next to its attribute and what the
        # agent typed kept (nothing was written).
        request.review_post = {"posted": request.POST, "error": error}
        response = audits.evaluation_detail(request, pk)
        response.status_code = 400
        return response
    reviewer = dispute.reviewer
    # Nobody named (the auditor is gone, no arbitrator): any QA analyst may decide it.
    who = (reviewer.get_full_name() or reviewer.username) if reviewer else "A QA analyst"
    count = dispute.items.count()
    messages.success(request, f"Dispute sent: {count} attribute{'s' if count != 1 else ''} "
                              f"for round {dispute.round}. {who} decides by "
                              f"{timezone.localtime(dispute.due_at):%-d %b %Y %H:%M}.")
    return _back(request, evaluation)


# --- the Review section of My coaching (tenancy.extensions.my_coaching_sections) --------


def review_section(request) -> str | None:
    """The agent's Review tabs on My coaching: shown to agents when the tenant has disputes
    on, and to anyone with audits of their work that went to review."""
    organization, user = request.organization, request.user
    if not user.has_perm("quality.view_own_quality", organization):
        return None
    counts = selectors_review.review_counts(organization, user)
    enabled = selectors.quality_settings(organization).disputes.enabled
    is_agent = bool(getattr(getattr(request, "membership", None), "is_agent", False))
    if not (enabled and is_agent) and not any(counts.values()):
        return None
    tab = request.GET.get("review")
    if tab not in selectors_review.REVIEW_TABS:
        tab = "pending"
    page = Paginator(selectors_review.review_tab(organization, user, tab),
                     REVIEW_PAGE).get_page(request.GET.get("review_page"))
    tabs = [("pending", "Pending review"), ("disputes", "Disputes"), ("resolved", "Resolved")]
    return render_to_string("quality/review_section.html", {
        "tab": tab, "tabs": [(key, label, counts[key]) for key, label in tabs],
        "page": page, "enabled": enabled,
    }, request=request)
