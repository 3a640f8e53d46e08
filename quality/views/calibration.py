"""Calibration pages: the sessions list, the form that opens a session (with its search of
auditable interactions), the blind scoring screen (the audit screen in calibration mode)
and the session page — who has submitted while scoring; after the reveal the reveal table
with the final answers and the agreement panel.

Whoever may not see a session gets 404 (agents on every page): its evaluators, its lead,
QA analysts and org admins see it. While a session is scoring no page shows anybody's
answers but the evaluator's own.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tenancy.errors import add_service_error
from tenancy.views import org_url

from .. import selectors, selectors_calibration
from ..enums import AnswerType, CalibrationState, EvaluationState
from ..forms_calibration import SessionForm, default_deadline
from ..models import CalibrationSession
from ..selectors_calibration_agreement import agreement_panel
from ..services import calibration as service
from ..services.answers import AnswerInput
from ..services.errors import QualityError
from .audits import Row, _sections, _stored_value

PAGE_SIZE = 25


# --- access: 404 for whoever may not see -------------------------------------------------


def _require_calibration(request) -> None:
    if not selectors_calibration.may_see_calibration(request.organization, request.user):
        raise Http404("No such page.")


def _session(request, pk: int) -> CalibrationSession:
    """A session the user may see (404 otherwise, never 403)."""
    _require_calibration(request)
    try:
        return selectors_calibration.session_for(request.organization, request.user, pk)
    except CalibrationSession.DoesNotExist:
        raise Http404("No such calibration session.") from None


def _runnable(request, pk: int) -> CalibrationSession:
    """A session the user may reveal and set final answers of (404 otherwise)."""
    session = _session(request, pk)
    if not selectors_calibration.may_run(session, request.user):
        raise Http404("No such calibration session.")
    return session


# --- the sessions list -----------------------------------------------------------------


def calibration_list(request):
    _require_calibration(request)
    organization, user = request.organization, request.user
    may_lead = service.may_lead(organization, user)
    tabs = [key for key in selectors_calibration.TABS if may_lead or key != "lead"]
    tab = request.GET.get("tab") or ("all" if may_lead else "mine")
    if tab not in tabs:
        tab = tabs[0]
    sessions = selectors_calibration.session_list(organization, user, tab)
    page = Paginator(sessions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "quality/calibration_list.html", {
        "tabs": [(key, selectors_calibration.TABS[key]) for key in tabs], "tab": tab,
        "page": page, "may_create": may_lead, "now": timezone.now(),
    })


# --- opening a session -------------------------------------------------------------------


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()][:200]


def _picked(request, ids: list[int]) -> list:
    if not ids:
        return []
    return list(selectors.auditable_interactions(request.organization, request.user)
                .filter(pk__in=ids).select_related("resolved_by", "assigned_to")
                .order_by("-opened_at", "-id"))


def _search_context(request, source) -> dict:
    picked_ids = _ids(source.getlist("picked"))
    query = request.GET.get("q", "").strip()
    return {
        "q": query, "picked": _picked(request, picked_ids),
        "results": selectors_calibration.search_interactions(
            request.organization, request.user, query, exclude=picked_ids),
    }


def calibration_create(request):
    _require_calibration(request)
    organization, user = request.organization, request.user
    if not service.may_lead(organization, user):
        raise Http404("No such page.")
    status = 200
    if request.method == "POST":
        form = SessionForm(request.POST, organization=organization, user=user,
                           evaluation_ids=_ids(request.POST.getlist("disputed")))
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = service.create_session(
                    organization=organization, actor=user, name=data["name"],
                    deadline=data["deadline"], evaluators=data["evaluators"],
                    picks=[service.Pick(i) for i in form.chosen_interactions()],
                    disputed=data["disputed"], candidates=data["candidates"],
                    scorecard=data["scorecard"], notes=data["notes"])
            except QualityError as error:
                add_service_error(form, error)
            else:
                items = session.items.count()
                messages.success(request, f"“{session.name}” is open: {items} interaction"
                                          f"{'s' if items != 1 else ''} to score blind; the "
                                          f"{len(data['evaluators'])} evaluators were invited "
                                          "by e-mail.")
                return redirect(org_url(request, "quality:calibration_detail", pk=session.pk))
        status = 400
        source = request.POST
    else:
        evaluation_ids = _ids(request.GET.getlist("evaluation"))
        default = selectors.scorecard_for(organization)
        form = SessionForm(organization=organization, user=user, evaluation_ids=evaluation_ids,
                           initial={
                               "deadline": default_deadline(organization),
                               "scorecard": default.pk if default else None,
                               "candidates": _ids(request.GET.getlist("candidate")),
                               "disputed": evaluation_ids,
                           })
        source = request.GET
    context = {"form": form, **_search_context(request, source)}
    return render(request, "quality/calibration_form.html", context, status=status)


def calibration_search(request):
    """The create form's interaction search (an htmx fragment; the full form without
    htmx)."""
    _require_calibration(request)
    if not service.may_lead(request.organization, request.user):
        raise Http404("No such page.")
    if not request.htmx:
        return calibration_create(request)
    return render(request, "quality/calibration_form.html#search-results",
                  _search_context(request, request.GET))


# --- blind scoring -----------------------------------------------------------------------


def _rows(attributes, stored: dict, *, posted=None, error: QualityError | None = None):
    rows = []
    for attribute in attributes:
        mine = stored.get(attribute.key)
        row = Row(attribute=attribute, stored=mine is not None)
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


def _answers(rows: list[Row]) -> list[AnswerInput]:
    return [AnswerInput(row.attribute.key, row.value or None, comment=row.comment)
            for row in rows if row.value or row.comment.strip() or row.stored]


def _next_to_score(items, mine: dict, after: int = 0):
    """The first interaction (after position ``after``, then from the start) the user has
    not submitted."""
    def open_(item):
        evaluation = mine.get(item.pk)
        return evaluation is None or evaluation.state == EvaluationState.DRAFT

    later = [i for i in items if i.position > after and open_(i)]
    return (later or [i for i in items if open_(i)] or [None])[0]


def calibration_score(request, pk: int, position: int | None = None):
    session = _session(request, pk)
    user = request.user
    if not selectors_calibration.is_participant(session, user):
        raise Http404("You are not an evaluator of this session.")
    items = selectors_calibration.session_items(session)
    mine = selectors_calibration.my_evaluations(session, user)
    if position is None:
        item = _next_to_score(items, mine) or (items[0] if items else None)
        if item is None:
            raise Http404("The session has no interactions.")
        return redirect(org_url(request, "quality:calibration_score", pk=session.pk,
                                position=item.position))
    item = next((i for i in items if i.position == position), None)
    if item is None:
        raise Http404("No such interaction in this session.")
    evaluation = mine.get(item.pk)
    open_for_scoring = (session.state == CalibrationState.SCORING
                        and session.deadline > timezone.now())
    editable = open_for_scoring and (evaluation is None
                                     or evaluation.state == EvaluationState.DRAFT)
    attributes = selectors_calibration.scorecard_attributes(session.scorecard)
    stored = ({a.attribute.key: a for a in evaluation.answers.select_related("attribute")}
              if evaluation else {})
    error, status = None, 200
    comment = evaluation.comment if evaluation else ""
    if request.method == "POST":
        if not editable:
            messages.error(request, "This interaction can no longer be scored: "
                           + ("you submitted it." if open_for_scoring else
                              "scoring is over."))
            return redirect(request.path)
        action = request.POST.get("action", "save")
        rows = _rows(attributes, stored, posted=request.POST)
        comment = request.POST.get("comment", "")
        try:
            with transaction.atomic():  # a refused first save leaves no empty draft
                evaluation_ = evaluation or service.start_scoring(item=item, evaluator=user)
                service.save_scores(evaluation=evaluation_, answers=_answers(rows),
                                    actor=user, submit=action == "submit", comment=comment)
        except QualityError as error_:
            error, status = error_, 400
            rows = _rows(attributes, stored, posted=request.POST, error=error)
        else:
            if action != "submit":
                messages.success(request, "Draft saved.")
                return redirect(request.path)
            return _after_submit(request, session, items, item)
    else:
        rows = _rows(attributes, stored)
    transcript = selectors.transcript_of(item.interaction)
    scored = sum(1 for e in mine.values() if e.state != EvaluationState.DRAFT)
    states = [(i, mine.get(i.pk)) for i in items]
    return render(request, "quality/calibration_score.html", {
        "session": session, "item": item, "interaction": item.interaction,
        "evaluation": evaluation, "states": states, "scored": scored, "count": len(items),
        "sections": _sections(rows), "comment": comment, "error": error,
        "general_error": error if error is not None and error.field not in
        {a.key for a in attributes} else None,
        "editable": editable, "open_for_scoring": open_for_scoring,
        "turns": list(enumerate(transcript.turns)) if transcript else [],
        "evidence_turns": set(),
        "next_item": _next_to_score(items, mine, after=item.position),
    }, status=status)


def _after_submit(request, session, items, item):
    session.refresh_from_db(fields=["state"])
    if session.state != CalibrationState.SCORING:
        messages.success(request, "Submitted. Everyone has scored: the scores are revealed.")
        return redirect(org_url(request, "quality:calibration_detail", pk=session.pk))
    mine = selectors_calibration.my_evaluations(session, request.user)
    following = _next_to_score(items, mine, after=item.position)
    done = sum(1 for e in mine.values() if e.state != EvaluationState.DRAFT)
    if following is None:
        messages.success(request, f"Submitted. You scored all {len(items)} interactions; the "
                                  "scores are revealed when everyone has scored or at the "
                                  "deadline.")
        return redirect(org_url(request, "quality:calibration_detail", pk=session.pk))
    messages.success(request, f"Submitted: {done} of {len(items)} scored.")
    return redirect(org_url(request, "quality:calibration_score", pk=session.pk,
                            position=following.position))


# --- the session page --------------------------------------------------------------------


def _final_choices(attribute) -> list[tuple[str, str]]:
    if attribute.answer_type == AnswerType.SCALE:
        options = [(str(n), f"{n}/{attribute.scale_max}")
                   for n in range(attribute.scale_max + 1)]
    else:
        options = [("yes", "Yes"), ("no", "No")]
    if attribute.na_allowed:
        options.append(("na", "N/A"))
    return options


def _final_fields(table, references: dict, *, posted=None, error=None) -> None:
    """Attach the final-answer inputs (``choices``, ``value``, ``note``, ``error``, field
    names) to each line of the reveal table."""
    for reveal_item in table.items:
        item_id = reveal_item.item.pk
        for line in reveal_item.lines:
            key = line.attribute.key
            line.field = f"{item_id}-{key}"
            line.choices = _final_choices(line.attribute)
            reference = references.get((item_id, key))
            if posted is not None:
                line.value = posted.get(f"final-{line.field}", "")
                line.note = posted.get(f"note-{line.field}", "")
            else:
                line.value = _stored_value(reference)
                line.note = reference.note if reference else ""
            line.error = error.message if error is not None and error.field == line.field \
                else ""


def _detail(request, session: CalibrationSession, *, posted=None, error=None, status=200):
    user = request.user
    items = selectors_calibration.session_items(session)
    progress = selectors_calibration.participants_progress(session, len(items))
    me = next((p for p in progress if p.user.pk == user.pk), None)
    may_run = selectors_calibration.may_run(session, user)
    waiting = sum(1 for p in progress if not p.done)
    context = {
        "session": session, "items": items, "progress": progress, "me": me,
        "may_run": may_run, "waiting": waiting,
        "deadline_passed": session.deadline <= timezone.now(),
        "error": error, "posted_notes": posted.get("notes") if posted is not None else None,
    }
    context["may_reveal"] = (may_run and session.state == CalibrationState.SCORING
                             and (waiting == 0 or context["deadline_passed"]))
    if not session.is_blind:
        references = selectors_calibration.references_of(session)
        table = selectors_calibration.reveal_table(session, references, items)
        _final_fields(table, references, posted=posted, error=error)
        context["table"] = table
        context["editing_final"] = may_run and session.state == CalibrationState.REVEALED
        context["final_count"] = len(references)
        context["final_needed"] = len(items) * len(table.items[0].lines) if table.items else 0
        context["panel"] = agreement_panel(session)
        context["general_error"] = error if error is not None and not any(
            line.error for i in table.items for line in i.lines) else None
    else:
        context["general_error"] = error
    return render(request, "quality/calibration_detail.html", context, status=status)


def calibration_detail(request, pk: int):
    return _detail(request, _session(request, pk))


@require_POST
def calibration_reveal(request, pk: int):
    session = _runnable(request, pk)
    try:
        service.reveal(session=session, actor=request.user)
    except QualityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The scores are revealed: set the final answers.")
    return redirect(org_url(request, "quality:calibration_detail", pk=session.pk))


@require_POST
def calibration_final(request, pk: int):
    session = _runnable(request, pk)
    finish = request.POST.get("action") == "finish"
    try:
        service.set_final_answers(
            session=session, actor=request.user,
            answers=service.final_answer_inputs(request.POST), finish=finish,
            notes=request.POST.get("notes"))
    except QualityError as error:
        return _detail(request, session, posted=request.POST, error=error, status=400)
    messages.success(request, "Session finished: the final answers and the agreement are "
                              "recorded." if finish else "Final answers saved.")
    return redirect(org_url(request, "quality:calibration_detail", pk=session.pk))
