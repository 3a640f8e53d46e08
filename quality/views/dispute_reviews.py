"""The reviewers' side of agent disputes: the queue of open dispute rounds (overdue first)
with the recently decided ones, and the decision page of one round."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.views import org_permission_required, org_url

from .. import selectors
from ..enums import AnswerType, DisputeDecision
from ..models import Dispute
from ..selectors_reviewer import (
    ALL,
    MINE,
    QUEUE_PAGE,
    decided_disputes,
    open_disputes,
    queue_scopes,
    sla_age,
    visible_disputes,
)
from ..services.disputes import Decision, decide_dispute, may_decide
from ..services.errors import QualityError

OPEN, DECIDED = "open", "decided"


@org_permission_required("quality.review_disputes")
def dispute_queue(request):
    organization, user = request.organization, request.user
    scopes = queue_scopes(organization, user)
    scope = request.GET.get("show")
    if scope not in scopes:
        scope = scopes[0]
    tab = DECIDED if request.GET.get("tab") == DECIDED else OPEN
    now = timezone.now()
    rows = (decided_disputes(organization, user, scope=scope) if tab == DECIDED
            else open_disputes(organization, user, scope=scope, now=now))
    page = Paginator(rows, QUEUE_PAGE).get_page(request.GET.get("page"))
    page.object_list = [(d, sla_age(d, now)) for d in page.object_list]
    counts = (open_disputes(organization, user, scope=scope, now=now).order_by()
              .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lte=now))))
    context = {
        "page": page, "tab": tab, "scope": scope, "scopes": scopes,
        "scope_labels": {MINE: "Mine", ALL: "All reviewers"},
        "counts": counts,
        "max_rounds": selectors.quality_settings(organization).disputes.max_rounds,
    }
    return render(request, "quality/dispute_queue.html", context)


def _visible(request, pk: int) -> Dispute:
    """A dispute round the user may see as a reviewer (404 otherwise, never 403)."""
    try:
        return visible_disputes(request.organization, request.user).get(pk=pk)
    except Dispute.DoesNotExist:
        raise Http404("No such dispute.") from None


def _value_of(answer) -> str:
    """An answer as the answer controls name it: "yes", "no", "na", a number, or ""."""
    if answer is None or (answer.value is None and not answer.na):
        return ""
    if answer.na:
        return "na"
    if answer.attribute.answer_type == AnswerType.YES_NO:
        return "yes" if answer.value else "no"
    return str(answer.value)


def _choices(attribute) -> list[tuple[str, str]]:
    if attribute.answer_type == AnswerType.SCALE:
        options = [(str(n), f"{n}/{attribute.scale_max}")
                   for n in range(attribute.scale_max + 1)]
    else:
        options = [("yes", "Yes"), ("no", "No")]
    if attribute.na_allowed:
        options.append(("na", "N/A"))
    return options


@dataclass
class ItemRow:
    """One contested attribute on the decision page: the agent's case and the reviewer's
    choice ("upheld" or the new answer) with the comment."""

    item: object  # DisputeItem
    current: object  # the evaluation's Answer now
    choice: str = ""
    comment: str = ""
    error: str = ""

    @property
    def key(self) -> str:
        return self.item.attribute.key

    @property
    def changes(self) -> list[tuple[str, str]]:
        """The answers it may be changed to (every answer but the current one)."""
        current = _value_of(self.current)
        return [(value, label) for value, label in _choices(self.item.attribute)
                if value != current]


def _rows(dispute: Dispute, answers: dict, posted=None, error=None) -> list[ItemRow]:
    rows = []
    for item in dispute.items.all():
        row = ItemRow(item=item, current=answers.get(item.attribute.key))
        if posted is not None:
            row.choice = posted.get(f"decision-{row.key}", "").strip()
            row.comment = posted.get(f"comment-{row.key}", "")
        if error is not None and error.field == row.key:
            row.error = error.message
        rows.append(row)
    return rows


def _decisions(rows: list[ItemRow]) -> list[Decision]:
    decisions = []
    for row in rows:
        if row.choice == DisputeDecision.UPHELD:
            decisions.append(Decision(row.key, DisputeDecision.UPHELD, row.comment))
        elif row.choice:
            decisions.append(Decision(row.key, DisputeDecision.CHANGED, row.comment,
                                      row.choice))
    return decisions


def _first_missing(rows: list[ItemRow]) -> QualityError | None:
    """Every row's missing choice or comment at once (the service names the first only)."""
    first = None
    for row in rows:
        name = row.item.attribute.name
        if not row.choice:
            row.error = f"Uphold or change “{name}”."
        elif not row.comment.strip():
            row.error = f"Tell the agent why, for “{name}”."
        if row.error and first is None:
            first = QualityError(row.error, field=row.key)
    return first


@org_permission_required("quality.review_disputes")
def dispute_detail(request, pk: int):
    organization, user = request.organization, request.user
    dispute = _visible(request, pk)
    evaluation = dispute.evaluation
    # Logged against the evaluation: the agent reads the dispute on the evaluation's page.
    record_access(request, subject=evaluation.agent_id, kind=AccessKind.DISPUTE,
                  obj=evaluation, label=f"Dispute round {dispute.round} of "
                                        f"{evaluation.interaction.label}")
    answers = {a.attribute.key: a for a in evaluation.answers.select_related("attribute")
               .order_by("attribute__position", "attribute_id")}
    deciding = dispute.is_open and may_decide(dispute, user)
    error, status = None, 200
    if request.method == "POST":
        if not dispute.is_open:
            messages.error(request, "This dispute has already been decided.")
            return redirect(org_url(request, "quality:dispute_review", pk=dispute.pk))
        if not deciding:
            raise PermissionDenied("Only the dispute's reviewer or a QA analyst decides it.")
        rows = _rows(dispute, answers, posted=request.POST)
        error = _first_missing(rows)
        if error is None:
            try:
                decided = decide_dispute(dispute=dispute, reviewer=user,
                                         decisions=_decisions(rows))
            except QualityError as error_:
                if error_.field == "dispute":  # decided meanwhile, or no longer reviewable
                    messages.error(request, error_.message)
                    return redirect(org_url(request, "quality:dispute_review", pk=dispute.pk))
                error = error_
                rows = _rows(dispute, answers, posted=request.POST, error=error)
            else:
                messages.success(request, _decided_message(decided))
                return redirect(org_url(request, "quality:dispute_queue"))
        status = 400
    else:
        rows = _rows(dispute, answers)
    contested = {row.key for row in rows}
    evidence_turns = {i for key in contested if key in answers
                      for i in (answers[key].evidence or []) if isinstance(i, int)}
    transcript = selectors.transcript_of(evaluation.interaction)
    context = {
        "dispute": dispute,
        "evaluation": evaluation,
        "rows": rows,
        "answers": list(answers.values()),
        "contested": contested,
        "deciding": deciding,
        "error": error,
        "age": sla_age(dispute),
        "max_rounds": selectors.quality_settings(organization).disputes.max_rounds,
        "earlier": list(Dispute.objects.filter(organization=organization,
                                               evaluation=evaluation, round__lt=dispute.round)
                        .select_related("decided_by").prefetch_related("items__attribute")
                        .order_by("round")),
        "turns": list(enumerate(transcript.turns)) if transcript else [],
        "evidence_turns": evidence_turns,
        "history": list(selectors.evaluation_history(evaluation)),
    }
    return render(request, "quality/dispute_detail.html", context, status=status)


def _decided_message(dispute: Dispute) -> str:
    label = dispute.evaluation.interaction.label
    if dispute.total_before == dispute.total_after:
        return f"Dispute of {label} decided: the total stays {_total(dispute.total_after)}."
    return (f"Dispute of {label} decided: the total went from {_total(dispute.total_before)} "
            f"to {_total(dispute.total_after)}.")


def _total(value) -> str:
    return "—" if value is None else f"{value:g}"
