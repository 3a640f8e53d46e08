"""The audit screen, the read-only evaluation page and "My audit queue" with the weekly
allocation."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.views import org_permission_required, org_url

from .. import selectors
from ..enums import AnswerType, EvaluationKind, EvaluationState
from ..extensions import evaluation_actions_html
from ..models import Evaluation
from ..services.allocation import allocate_week, current_week
from ..services.answers import AnswerInput
from ..services.audits import save_draft, start_audit, submit_audit
from ..services.errors import QualityError
from .interactions import _interaction


def _visible(request, pk: int) -> Evaluation:
    """An evaluation the user may see (404 otherwise, never 403)."""
    try:
        return (selectors.visible_evaluations(request.organization, request.user)
                .select_related("scorecard").get(pk=pk))
    except Evaluation.DoesNotExist:
        raise Http404("No such evaluation.") from None


def _editable(request, pk: int) -> Evaluation:
    """An audit the user may change: their own, or (submitted) any audit for QA analysts
    and org admins (404 otherwise)."""
    evaluation = _visible(request, pk)
    if evaluation.kind != EvaluationKind.MANUAL:
        raise Http404("No such audit.")
    if evaluation.evaluator_id == request.user.pk:
        return evaluation
    if evaluation.state != EvaluationState.DRAFT and selectors.sees_all_audits(
            request.organization, request.user):
        return evaluation
    raise Http404("No such audit.")


@require_POST
@org_permission_required("quality.audit")
def audit_start(request, pk: int):
    item = _interaction(request, pk)
    try:
        evaluation = start_audit(interaction=item, evaluator=request.user)
    except QualityError as error:
        messages.error(request, error.message)
        return redirect(org_url(request, "quality:interaction", pk=item.pk))
    return redirect(org_url(request, "quality:audit", pk=evaluation.pk))


@dataclass
class Row:
    """One attribute on the audit screen: the automatic answer beside the auditor's."""

    attribute: object
    auto: object = None  # the automatic Answer, if any
    verified: bool = False
    agreement: dict | None = None  # the attribute's best scorer against audits, if measured
    value: str = ""  # what the auditor answered: "yes", "no", "na", a number, or ""
    comment: str = ""
    error: str = ""
    evidence: list[int] = field(default_factory=list)
    stored: bool = False  # answered (or commented) before

    @property
    def choices(self) -> list[tuple[str, str, str]]:
        """``(value, label, key)`` of the answer controls."""
        attribute = self.attribute
        if attribute.answer_type == AnswerType.SCALE:
            options = [(str(n), str(n), str(n) if n < 10 else "")
                       for n in range(attribute.scale_max + 1)]
        else:
            options = [("yes", "Yes", "y"), ("no", "No", "n")]
        if attribute.na_allowed:
            options.append(("na", "N/A", "a"))
        return options

    @property
    def evidence_label(self) -> str:
        return ", ".join(str(i + 1) for i in self.evidence)


def _stored_value(answer) -> str:
    if answer is None:
        return ""
    if answer.na:
        return "na"
    if answer.value is None:
        return ""
    if answer.attribute.answer_type == AnswerType.YES_NO:
        return "yes" if answer.value else "no"
    return str(answer.value)


def _rows(request, evaluation: Evaluation, *, posted=None, error: QualityError | None = None):
    attributes = list(evaluation.scorecard.attributes.all())
    stored = {a.attribute.key: a for a in evaluation.answers.select_related("attribute")}
    auto_eval = selectors.auto_evaluation_of(evaluation.interaction, evaluation.scorecard)
    autos = {a.attribute.key: a for a in auto_eval.answers.all()} if auto_eval else {}
    status = selectors.attribute_status(request.organization)
    rows = []
    for attribute in attributes:
        auto = autos.get(attribute.key)
        mine = stored.get(attribute.key)
        measured = status.get((evaluation.scorecard.key, attribute.key))
        row = Row(attribute=attribute, auto=auto, agreement=measured,
                  verified=bool(auto and measured and measured["verified"]
                                and (not auto.scorer or auto.scorer == measured["scorer"])),
                  evidence=list((mine.evidence if mine and mine.evidence else None)
                                or (auto.evidence if auto else []) or []),
                  stored=mine is not None)
        if posted is not None:
            row.value = posted.get(f"answer-{attribute.key}", "").strip()
            row.comment = posted.get(f"comment-{attribute.key}", "")
        else:
            row.value = _stored_value(mine)
            row.comment = mine.comment if mine else ""
        if error is not None and error.field == attribute.key:
            row.error = error.message
        rows.append(row)
    return rows


def _sections(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    sections: list[tuple[str, list[Row]]] = []
    for row in rows:
        name = row.attribute.section or "Attributes"
        if not sections or sections[-1][0] != name:
            sections.append((name, []))
        sections[-1][1].append(row)
    return sections


def _answers(rows: list[Row]) -> list[AnswerInput]:
    return [AnswerInput(row.attribute.key, row.value or None, comment=row.comment,
                        evidence=row.evidence)
            for row in rows if row.value or row.comment.strip() or row.stored]


@org_permission_required("quality.audit")
def audit_screen(request, pk: int):
    evaluation = _editable(request, pk)
    error = None
    status = 200
    comment = evaluation.comment
    if request.method == "POST":
        action = request.POST.get("action", "save")
        rows = _rows(request, evaluation, posted=request.POST)
        comment = request.POST.get("comment", "")
        try:
            if action == "submit" and evaluation.state == EvaluationState.DRAFT:
                submit_audit(evaluation=evaluation, actor=request.user, answers=_answers(rows),
                             comment=comment)
                messages.success(request, "Audit submitted.")
                return redirect(org_url(request, "quality:evaluation", pk=evaluation.pk))
            save_draft(evaluation=evaluation, actor=request.user, answers=_answers(rows),
                       comment=comment)
        except QualityError as error_:
            error = error_
            status = 400
        else:
            messages.success(request, "Draft saved." if evaluation.state == EvaluationState.DRAFT
                             else "Audit corrected.")
            return redirect(org_url(request, "quality:audit", pk=evaluation.pk))
        rows = _rows(request, evaluation, posted=request.POST, error=error)
    else:
        rows = _rows(request, evaluation)
    item = evaluation.interaction
    record_access(request, subject=evaluation.agent_id, kind=AccessKind.EVALUATION,
                  obj=evaluation, label=_access_label(evaluation))
    transcript = selectors.transcript_of(item)
    context = {
        "evaluation": evaluation,
        "item": item,
        "turns": list(enumerate(transcript.turns)) if transcript else [],
        "sections": _sections(rows),
        "comment": comment,
        "error": error,
        "general_error": error if error is not None and error.field not in
        {r.attribute.key for r in rows} else None,
        "history": list(selectors.evaluation_history(evaluation)),
        "bookmarked": set(selectors.best_responses_of(item).values_list("attribute_key",
                                                                        flat=True)),
        "is_draft": evaluation.state == EvaluationState.DRAFT,
        "actions": evaluation_actions_html(request, evaluation),
    }
    return render(request, "quality/audit.html", context, status=status)


@org_permission_required("quality.view_own_quality")
def evaluation_detail(request, pk: int):
    evaluation = _visible(request, pk)
    answers = list(evaluation.answers.select_related("attribute")
                   .order_by("attribute__position", "attribute_id"))
    is_auto = evaluation.kind == EvaluationKind.AUTO
    status = selectors.attribute_status(request.organization) if is_auto else {}
    evidence_turns: set[int] = set()
    for answer in answers:
        # An automatic answer counts once its scorer is verified for the attribute.
        measured = status.get((evaluation.scorecard.key, answer.attribute.key))
        answer.measured = measured
        answer.verified = bool(is_auto and measured and measured["verified"]
                               and (not answer.scorer or answer.scorer == measured["scorer"]))
        answer.evidence_turns = [(i, i + 1) for i in (answer.evidence or [])
                                 if isinstance(i, int)]
        evidence_turns.update(i for i, _ in answer.evidence_turns)
    sections: list[tuple[str, list]] = []
    for answer in answers:
        name = answer.attribute.section or "Attributes"
        if not sections or sections[-1][0] != name:
            sections.append((name, []))
        sections[-1][1].append(answer)
    transcript = selectors.transcript_of(evaluation.interaction)
    record_access(request, subject=evaluation.agent_id, kind=AccessKind.EVALUATION,
                  obj=evaluation, label=_access_label(evaluation))
    may_edit = evaluation.kind == EvaluationKind.MANUAL and (
        evaluation.evaluator_id == request.user.pk
        or (evaluation.state != EvaluationState.DRAFT
            and selectors.sees_all_audits(request.organization, request.user)))
    context = {
        "evaluation": evaluation,
        "sections": sections,
        "turns": list(enumerate(transcript.turns)) if transcript else [],
        "evidence_turns": evidence_turns,
        "any_unverified": is_auto and any(not a.verified for a in answers),
        "history": list(selectors.evaluation_history(evaluation)),
        "may_edit": may_edit,
        "may_open_interaction": request.user.has_perm("quality.audit", request.organization),
        "actions": evaluation_actions_html(request, evaluation),
    }
    return render(request, "quality/evaluation_detail.html", context)


def _access_label(evaluation: Evaluation) -> str:
    """How the access log names an evaluation (the agent reads it under My coaching)."""
    return f"{evaluation.get_kind_display()} of {evaluation.interaction.label}"


QUEUE_PAGE_SIZE = 50


@org_permission_required("quality.audit")
def audit_queue(request):
    """The evaluator's audits to do, :data:`QUEUE_PAGE_SIZE` a page (oldest interaction
    first) with the shared pager: the same queries however many wait."""
    organization = request.organization
    week = current_week(organization)
    page = Paginator(selectors.audit_queue(organization, request.user),
                     QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "assignments": list(page.object_list), "page": page,
        "status": selectors.allocation_status(organization, request.user, week),
        "may_allocate": request.user.has_perm("quality.allocate_audits", organization),
        "rules": selectors.quality_settings(organization),
    }
    return render(request, "quality/audit_queue.html", context)


@require_POST
@org_permission_required("quality.allocate_audits")
def audit_allocate(request):
    organization = request.organization
    summary = allocate_week(organization=organization, week_start=current_week(organization))
    text = (f"Week of {summary.week:%-d %b %Y}: {summary.assigned} "
            f"audit{'s' if summary.assigned != 1 else ''} allocated; "
            f"{summary.agents_covered} of {summary.agents} agents have their "
            f"{summary.per_agent} (or every interaction they had)")
    if summary.shortfall:
        text += f"; {summary.shortfall} more would need evaluators with room"
    messages.success(request, text + ".")
    return redirect(org_url(request, "quality:audit_queue"))
