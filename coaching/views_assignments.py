"""Coaching from quality: the Marked for coaching workspace (individuals, groups, dispatch),
marking from an evaluation, the supervisors' assignments list and drill-down, and the
agent's own coaching assignments.

Objects are looked up through helpers that 404 for what the user may not reach. The
agent's pages read only the assignment's own fields: never its origin group.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from privacy.access import record_access
from privacy.models import AccessKind
from quality.models import Evaluation
from tenancy.errors import DomainError, add_service_error
from tenancy.models import User
from tenancy.views import org_permission_required, org_url

from . import selectors_assignments as sel
from .models import (
    AGENT_STATUS_LABELS,
    AssignmentStatus,
    CoachingAssignment,
    CoachingGroup,
    CoachingMark,
    MarkState,
)
from .services import assignments as assignment_services
from .services import marks as mark_services

MANAGE = "coaching.manage_coaching_assignments"
OWN = "coaching.view_own_coaching_assignments"

# --- forms ---------------------------------------------------------------------------


class AreasField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class MarkForm(forms.Form):
    areas = AreasField(label="Coaching areas", error_messages={
        "required": "Choose at least one coaching area."})

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = choices


class GroupForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=150)
    description = forms.CharField(label="Description", required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    areas = AreasField(label="Coaching areas", required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].choices = choices


class AssignmentForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150)
    areas = AreasField(label="Coaching areas", error_messages={
        "required": "Choose at least one coaching area."})
    strengths = forms.CharField(label="Feedback: strengths", required=False, max_length=4000,
                                widget=forms.Textarea(attrs={"rows": 3}))
    improvements = forms.CharField(label="Feedback: areas to improve", required=False,
                                   max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    action_plan = forms.CharField(label="Action plan (one step per line)", required=False,
                                  max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    follow_up_date = forms.DateField(label="Follow-up date",
                                     widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if choices is None:
            del self.fields["areas"]
        else:
            self.fields["areas"].choices = choices

    def content(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "follow_up_date": data["follow_up_date"],
                "strengths": data["strengths"], "improvements": data["improvements"],
                "action_plan": data["action_plan"].splitlines()}


class FilterForm(forms.Form):
    origin = forms.ChoiceField(label="Coaching type", required=False, choices=[
        ("", "All"), ("individual", "Individual agent"), ("group", "Group agents")])
    status = forms.MultipleChoiceField(label="Status", required=False,
                                       choices=AssignmentStatus.choices,
                                       widget=forms.SelectMultiple(attrs={"size": 3}))
    area = forms.MultipleChoiceField(label="Coaching area", required=False,
                                     widget=forms.SelectMultiple(attrs={"size": 4}))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = areas
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select form-select-sm")


# --- access helpers ------------------------------------------------------------------


def _evaluation(request, pk: int) -> Evaluation:
    """An evaluation the user may mark or assign from (404 otherwise)."""
    try:
        return sel.markable_evaluation(request.organization, request.user, pk)
    except Evaluation.DoesNotExist:
        raise Http404("No such evaluation.") from None


def _supervised(request, pk: int) -> CoachingAssignment:
    try:
        return sel.assignment_detail(sel.with_review_status(
            sel.supervised_assignments(request.organization, request.user),
            request.organization), pk)
    except CoachingAssignment.DoesNotExist:
        raise Http404("No such coaching assignment.") from None


def _own(request, pk: int) -> CoachingAssignment:
    try:
        return sel.assignment_detail(sel.with_review_status(
            sel.own_assignments(request.organization, request.user), request.organization), pk)
    except CoachingAssignment.DoesNotExist:
        raise Http404("No such coaching assignment.") from None


def _pending_group(request, pk: int) -> CoachingGroup:
    group = sel.visible_groups(request.organization, request.user).filter(pk=pk).first()
    if group is None:
        raise Http404("No such coaching group.")
    return group


def _agent(request, pk: int) -> User:
    agent = User.objects.filter(pk=pk).filter(
        sel.reachable(request.organization, request.user, field_name="pk")).first()
    if agent is None:
        raise Http404("No such agent.")
    return agent


def evaluation_url(request, assignment: CoachingAssignment, evaluation_id: int) -> str:
    """Coaching's read-only page of an evaluation of the assignment: the transcript, the
    results and comments with the assignment's coaching feedback (and, for supervisors,
    the history) — never quality's page, whose editing controls are not for the agent."""
    return org_url(request, "coaching:assignment_evaluation", pk=assignment.pk,
                   evaluation_id=evaluation_id)


def _area_choices(evaluation: Evaluation) -> list[tuple[str, str]]:
    return [(a.key, a.name) for a in evaluation.scorecard.attributes.all()]


# --- the evaluation actions (registered into quality.extensions.evaluation_actions) -----


def evaluation_actions(request, evaluation) -> str | None:
    """"Mark for coaching" and "Add coaching assignment" on an evaluation's page."""
    user = getattr(request, "user", None)
    if user is None or not user.has_perm(MANAGE, request.organization):
        return None
    if evaluation.agent is None or not user.has_perm("coaching.assign_coaching_to",
                                                     evaluation.agent):
        return None
    return render_to_string("coaching/marked_actions.html",
                            {"evaluation": evaluation, "current_org": request.organization},
                            request=request)


# --- marks ---------------------------------------------------------------------------


@org_permission_required(MANAGE)
def mark(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    held = set(CoachingMark.objects.filter(
        organization=request.organization, marked_by=request.user, agent=evaluation.agent,
        state=MarkState.ACTIVE).values_list("attribute_key", flat=True))
    form = MarkForm(request.POST or None, choices=_area_choices(evaluation))
    if request.method == "POST" and form.is_valid():
        try:
            created = mark_services.mark_for_coaching(
                evaluation=evaluation, area_keys=form.cleaned_data["areas"],
                marked_by=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{evaluation.agent} marked for coaching in "
                                      f"{', '.join(m.attribute_name for m in created)}.")
            return redirect(org_url(request, "coaching:marked"))
    return render(request, "coaching/marked_dialog.html", {
        "form": form, "evaluation": evaluation, "held": held,
        "held_names": [name for key, name in _area_choices(evaluation) if key in held],
    }, status=400 if form.errors else 200)


@require_POST
@org_permission_required(MANAGE)
def mark_remove(request, pk: int):
    mark_row = sel.active_marks(request.organization, request.user).filter(pk=pk).first()
    if mark_row is None:
        raise Http404("No such mark.")
    try:
        mark_services.remove_mark(mark=mark_row, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Mark for {mark_row.attribute_name} removed.")
    return redirect(org_url(request, "coaching:marked"))


# --- the Marked for coaching workspace ----------------------------------------------


@org_permission_required(MANAGE)
def marked(request):
    tab = "groups" if request.GET.get("tab") == "groups" else "individuals"
    groups = list(sel.pending_groups(request.organization, request.user))
    for group in groups:
        group.area_names = sel.group_area_names(group)
        group.tags = sel.area_tags(group.area_names)
    context = {"tab": tab, "groups": groups}
    if tab == "individuals":
        context["candidates"] = sel.individual_candidates(request.organization, request.user)
    return render(request, "coaching/marked.html", context)


@org_permission_required(MANAGE)
def group_create(request):
    form = GroupForm(request.POST or None, choices=sel.available_areas(request.organization))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = mark_services.create_group(
                organization=request.organization, name=data["name"],
                description=data["description"], area_keys=data["areas"],
                created_by=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Group “{group.name}” created.")
            return redirect(org_url(request, "coaching:marked") + "?tab=groups")
    return render(request, "coaching/group_form.html", {"form": form},
                  status=400 if form.errors else 200)


@org_permission_required(MANAGE)
def group_name_check(request):
    """Live validation of a new group's name (htmx): unique among unsent groups."""
    name = request.GET.get("name", "").strip()
    taken = bool(name) and sel.group_name_taken(request.organization, name)
    return render(request, "coaching/group_name_check.html", {"name": name, "taken": taken})


@require_POST
@org_permission_required(MANAGE)
def group_add_agents(request):
    """Add agents (``agents``) to a pending group (``group``), from the Individuals tab."""
    group_id = request.POST.get("group", "")
    group = _pending_group(request, int(group_id)) if group_id.isdigit() else None
    if group is None or group.sent_at is not None:
        messages.error(request, "Choose a group that is waiting to be sent.")
        return redirect(org_url(request, "coaching:marked"))
    ids = [int(v) for v in request.POST.getlist("agents") if v.isdigit()]
    agents = [_agent(request, agent_id) for agent_id in ids]
    try:
        mark_services.add_agents_to_group(group=group, agents=agents, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Added {', '.join(map(str, agents))} to “{group.name}”.")
    # Back to the Individuals tab while agents still wait there, else to the groups.
    waiting = sel.active_marks(request.organization, request.user).filter(
        group__isnull=True).exists()
    return redirect(org_url(request, "coaching:marked")
                    + ("?tab=individuals" if waiting else "?tab=groups"))


@org_permission_required(MANAGE)
def group_dispatch(request, pk: int):
    group = _pending_group(request, pk)
    if group.sent_at is not None:
        raise Http404("This group was already dispatched.")
    group = next(g for g in sel.pending_groups(request.organization, request.user)
                 if g.pk == group.pk)
    form = AssignmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = assignment_services.dispatch_group(
                group_id=group.pk, actor=request.user, **form.content())
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Coaching assigned to {len(created)} agents.")
            return redirect(org_url(request, "coaching:assignment_list"))
    return render(request, "coaching/group_dispatch.html", {"form": form, "group": group},
                  status=400 if form.errors else 200)


@org_permission_required(MANAGE)
def assign_from_marks(request, agent_id: int):
    agent = _agent(request, agent_id)
    candidate = next((c for c in sel.individual_candidates(request.organization, request.user)
                      if c.agent.pk == agent.pk), None)
    if candidate is None:
        raise Http404("This agent has no waiting marks.")
    choices = sorted({(m.attribute_key, m.attribute_name) for m in candidate.marks},
                     key=lambda kv: kv[1].lower())
    form = AssignmentForm(request.POST or None, choices=choices,
                          initial={"areas": [k for k, _ in choices]})
    if request.method == "POST" and form.is_valid():
        try:
            mark_services_result = assignment_services.create_assignment_from_marks(
                organization=request.organization, agent=agent, assigner=request.user,
                area_keys=form.cleaned_data["areas"], **form.content())
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Coaching assignment “{mark_services_result.name}” "
                                      f"created for {agent}.")
            return redirect(org_url(request, "coaching:assignment_list"))
    return render(request, "coaching/assignment_form.html", {
        "form": form, "agent": agent, "marks": candidate.marks,
    }, status=400 if form.errors else 200)


@org_permission_required(MANAGE)
def assignment_from_evaluation(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    form = AssignmentForm(request.POST or None, choices=_area_choices(evaluation))
    if request.method == "POST" and form.is_valid():
        try:
            created = assignment_services.create_assignment_from_evaluation(
                evaluation=evaluation, assigner=request.user,
                area_keys=form.cleaned_data["areas"], **form.content())
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Coaching assignment “{created.name}” created for "
                                      f"{evaluation.agent}.")
            return redirect(org_url(request, "coaching:assignment_list"))
    return render(request, "coaching/assignment_form.html", {
        "form": form, "agent": evaluation.agent, "evaluation": evaluation,
    }, status=400 if form.errors else 200)


# --- supervisors' list and drill-down -----------------------------------------------


@org_permission_required(MANAGE)
def assignment_list(request):
    form = FilterForm(request.GET or None, areas=sel.available_areas(request.organization))
    filters = sel.ListFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = sel.ListFilters(origin=data["origin"], statuses=data["status"],
                                  areas=data["area"])
    rows = sel.assignment_rows(request.organization, request.user, filters)
    context = {"form": form, "rows": rows,
               "in_coaching": sel.agents_in_coaching(request.organization, request.user)}
    template = "coaching/assignment_rows.html" if request.htmx else \
        "coaching/assignment_list.html"
    return render(request, template, context)


def _agent_rows(assignments, search: str):
    rows = []
    for a in assignments:
        if search and search.lower() not in (
                f"{a.agent.username} {a.agent.get_full_name()}".lower()):
            continue
        rows.append({"assignment": a, "conversations": a.conversation_count})
    return rows


@org_permission_required(MANAGE)
def assignment_agents(request, pk: int):
    """Level 1 for an individual assignment: its agent and conversation count."""
    assignment = _supervised(request, pk)
    if assignment.origin_group_id:
        return redirect(org_url(request, "coaching:group_assignment_agents",
                                pk=assignment.origin_group_id))
    assignment.conversation_count = len(assignment.interaction_links.all())
    return render(request, "coaching/assignment_agents.html", {
        "title": assignment.name, "rows": _agent_rows([assignment], request.GET.get("q", "")),
        "search": request.GET.get("q", ""),
    })


@org_permission_required(MANAGE)
def group_assignment_agents(request, pk: int):
    """Level 1 for a dispatched group: its agents, their conversation counts and status."""
    from django.db.models import Count

    qs = (sel.with_review_status(sel.supervised_assignments(request.organization, request.user),
                                 request.organization)
          .filter(origin_group_id=pk).select_related("agent", "origin_group")
          .annotate(conversation_count=Count("interaction_links")).order_by("agent__username"))
    assignments = list(qs)
    if not assignments:
        raise Http404("No such group assignment.")
    return render(request, "coaching/assignment_agents.html", {
        "title": assignments[0].origin_group.name,
        "rows": _agent_rows(assignments, request.GET.get("q", "")),
        "search": request.GET.get("q", ""),
    })


def _interaction_rows(request, assignment, *, agent_view: bool = False):
    """The assignment's interactions with their scores and evaluation link; for the agent
    only what was released to them (no link to an audit still waiting for release)."""
    links = list(assignment.interaction_links.all())
    scores = sel.evaluation_scores([link.interaction_id for link in links],
                                   released_only=agent_view)
    return [{"link": link, "scores": scores[link.interaction_id],
             "evaluation_url": evaluation_url(request, assignment, link.evaluation_id)
             if link.evaluation_id in scores[link.interaction_id]["ids"] else ""}
            for link in links]


@org_permission_required(MANAGE)
def assignment_detail(request, pk: int):
    """Level 2: the agent's conversations of the assignment (date, queue, scores)."""
    assignment = _supervised(request, pk)
    record_access(request, subject=assignment.agent_id, kind=AccessKind.ASSIGNMENT,
                  obj=assignment, label=assignment.name)
    return render(request, "coaching/assignment_detail.html", {
        "assignment": assignment, "interactions": _interaction_rows(request, assignment),
        "status_label": (sel.REVIEW_STATUS_LABELS.get(assignment.review_status)
                         or assignment.get_status_display()), "agent_view": False,
    })


def assignment_evaluation(request, pk: int, evaluation_id: int):
    """Level 3, read-only: an evaluation of the assignment, with transcript, answers,
    comments, the coaching feedback and (for supervisors) the history. Agents see only
    evaluations released to them."""
    from quality.selectors import visible_evaluations

    if request.user.has_perm(MANAGE, request.organization):
        try:
            assignment = _supervised(request, pk)
        except Http404:
            assignment = _own(request, pk)
    elif request.user.has_perm(OWN, request.organization):
        assignment = _own(request, pk)
    else:
        raise Http404("No such coaching assignment.")
    if not any(link.evaluation_id == evaluation_id
               for link in assignment.interaction_links.all()):
        raise Http404("No such evaluation in this assignment.")
    evaluation = (visible_evaluations(request.organization, request.user)
                  .select_related("interaction__transcript")
                  .prefetch_related("answers__attribute", "changes").filter(pk=evaluation_id)
                  .first())
    if evaluation is None:
        raise Http404("No such evaluation.")
    supervisor = assignment.agent_id != request.user.pk
    record_access(request, subject=evaluation.agent_id, kind=AccessKind.EVALUATION,
                  obj=evaluation, label=f"{evaluation.get_kind_display()} of "
                                        f"{evaluation.interaction.label}")
    return render(request, "coaching/assignment_evaluation.html", {
        "assignment": assignment, "evaluation": evaluation, "show_history": supervisor,
        "back": org_url(request, "coaching:assignment_detail" if supervisor else
                        "coaching:my_assignment", pk=assignment.pk),
        "transcript": getattr(evaluation.interaction, "transcript", None),
    })


def assignment_example(request, pk: int, link_id: int):
    """A best-response example of the assignment, read-only: the bookmarked conversation's
    transcript for the agent to study (and for supervisors who reach the assignment)."""
    if request.user.has_perm(MANAGE, request.organization):
        try:
            assignment = _supervised(request, pk)
        except Http404:
            assignment = _own(request, pk)
    elif request.user.has_perm(OWN, request.organization):
        assignment = _own(request, pk)
    else:
        raise Http404("No such coaching assignment.")
    example = next((ex for ex in assignment.example_links.all() if ex.pk == link_id), None)
    if example is None:
        raise Http404("No such example in this assignment.")
    interaction = example.best_response.interaction
    agent_view = assignment.agent_id == request.user.pk
    return render(request, "coaching/assignment_example.html", {
        "assignment": assignment, "example": example, "interaction": interaction,
        "transcript": getattr(interaction, "transcript", None), "agent_view": agent_view,
        "back": org_url(request, "coaching:my_assignment" if agent_view else
                        "coaching:assignment_detail", pk=assignment.pk),
    })


# --- the agent's own assignments -----------------------------------------------------


@org_permission_required(OWN)
def my_assignments(request):
    rows = list(sel.with_review_status(sel.own_assignments(request.organization, request.user),
                                       request.organization))
    return render(request, "coaching/assignment_mine.html", {
        "assignments": rows, "labels": AGENT_STATUS_LABELS})


@org_permission_required(OWN)
def my_assignment(request, pk: int):
    assignment = _own(request, pk)
    return render(request, "coaching/assignment_detail.html", {
        "assignment": assignment,
        "interactions": _interaction_rows(request, assignment, agent_view=True),
        "examples": list(assignment.example_links.all()),
        "status_label": (sel.REVIEW_STATUS_LABELS.get(assignment.review_status)
                         or assignment.agent_status_label), "agent_view": True,
    })


@require_POST
@org_permission_required(OWN)
def review(request, pk: int, kind: str, link_id: int):
    assignment = _own(request, pk)
    try:
        updated = assignment_services.review_item(
            assignment_id=assignment.pk, kind=kind, link_id=link_id, agent=request.user)
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
    else:
        messages.success(request, f"Marked reviewed. Status: {updated.agent_status_label}.")
    return redirect(reverse("coaching:my_assignment", kwargs={
        "org_slug": request.organization.slug, "pk": assignment.pk}))


# --- cards ---------------------------------------------------------------------------


def my_assignments_summary(request) -> dict | None:
    """The "Coaching assignments" card of the agent's My coaching page."""
    if not request.user.has_perm(OWN, request.organization):
        return None
    from django.db.models import Count, Q

    counts = sel.own_assignments(request.organization, request.user).aggregate(
        open=Count("pk", filter=~Q(status=AssignmentStatus.COMPLETED)),
        completed=Count("pk", filter=Q(status=AssignmentStatus.COMPLETED)))
    return {"title": "Coaching assignments", "value": counts["open"],
            "caption": f"{counts['completed']} completed",
            "url": org_url(request, "coaching:my_assignments"), "tone": None}


def agents_in_coaching_card(request) -> dict | None:
    """The QA dashboard's "Agents in coaching" card (each agent once)."""
    if not request.user.has_perm(MANAGE, request.organization):
        return None
    counts = sel.agents_in_coaching(request.organization, request.user)
    return {"title": "Agents in coaching", "value": counts["agents"],
            "caption": f"{counts['open']} not completed yet",
            "url": org_url(request, "coaching:assignment_list")}
