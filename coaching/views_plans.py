"""Behaviour coaching plans, the pages: creating a plan from generated advice (refresh,
thumbs up/down, edit, examples, target, Send e-mail), a plan's page for the manager and
the agent (opening it as the agent acknowledges it), meeting notes, deleting, the
manager's "Coaching sessions" of one agent and the agent's plans on My coaching.

Objects are looked up through helpers that 404 for what the user may not reach:
managers plan only for the agents they coach (org admins for every member).
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from privacy.access import record_access
from privacy.models import AccessKind
from quality.selectors import visible_evaluations
from tenancy.errors import DomainError, add_service_error
from tenancy.models import User
from tenancy.people import PersonChoiceField, suggestions
from tenancy.validation import LONG_TEXT
from tenancy.views import org_permission_required, org_url
from work.models import WorkItem

from . import charts_plans
from . import selectors_plans as sel
from .models import CoachingPlan, PlanExampleKind, PlanStatus
from .selectors_assignments import available_areas
from .services import plans as plan_services

PLAN = "coaching.plan_coaching"
OWN = "coaching.view_own_plans"

# What each status means, in plain words (the badge's explanation).
STATUS_HELP = {
    PlanStatus.DRAFT: "Not sent yet: the agent cannot see it.",
    PlanStatus.SHARED: "Sent by e-mail; the agent has not opened it yet.",
    PlanStatus.WORKING: "The agent opened the plan and is working on it.",
    PlanStatus.IMPROVEMENT: "The target date passed and the behaviour reached the target.",
    PlanStatus.ACTION_REQUIRED: "The target date passed and the target was not shown to "
                                "be reached: talk it through and plan again.",
}
STATUS_TONE = {
    PlanStatus.DRAFT: "secondary", PlanStatus.SHARED: "info", PlanStatus.WORKING: "primary",
    PlanStatus.IMPROVEMENT: "success", PlanStatus.ACTION_REQUIRED: "danger",
}


def _today(request):
    return timezone.localdate(timezone=request.organization.tzinfo)


def _ids(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip().isdigit()]


# --- forms ---------------------------------------------------------------------------


class PlanForm(forms.Form):
    advice = forms.CharField(label="Advice", max_length=LONG_TEXT, widget=forms.Textarea(
        attrs={"rows": 12, "class": "form-control", "aria-describedby": "id_advice_helptext"}),
        help_text="Edit it as you like: the agent receives this text.")
    variant_key = forms.CharField(required=False, widget=forms.HiddenInput)
    offered_weak = forms.CharField(required=False, widget=forms.HiddenInput)
    offered_best = forms.CharField(required=False, widget=forms.HiddenInput)
    examples = forms.MultipleChoiceField(label="Example interactions", required=False,
                                         widget=forms.CheckboxSelectMultiple)
    target_percent = forms.IntegerField(
        label="Target score (%)", min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 0, "max": 100,
                                        "placeholder": "e.g. 85"}),
        error_messages={"min_value": "Choose a target between 0 and 100 %%.",
                        "max_value": "Choose a target between 0 and 100 %%."})
    target_date = forms.DateField(label="Target date", widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control"}),
        help_text="The day the behaviour's score over the plan period is checked.")

    def __init__(self, *args, today, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["examples"].choices = choices

    def clean_target_date(self):
        value = self.cleaned_data["target_date"]
        if value < self.today:
            raise forms.ValidationError("The target date is in the past: choose today or a "
                                        "later day.")
        return value


class NoteForm(forms.Form):
    text = forms.CharField(label="Meeting note", max_length=LONG_TEXT, widget=forms.Textarea(
        attrs={"rows": 3, "class": "form-control"}))


class SwitchAgentForm(forms.Form):
    """The sessions page's agent switcher: a type-ahead box (tenancy.people), not a select
    of every agent the user may plan for (513 options for the 500-agent demo's admin)."""

    agent = PersonChoiceField(label="Agent", help_text="")

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents
        self.fields["agent"].widget.attrs.update({
            "class": "form-control form-control-lg fw-semibold agent-switch",
            "id": "agent-switch", "data-testid": "agent-switch",
            "placeholder": "Another agent"})


class ChooseForm(forms.Form):
    """Who and which behaviour, when the create page is opened without them."""

    agent = forms.TypedChoiceField(label="Agent", coerce=int, widget=forms.Select(
        attrs={"class": "form-select"}))
    attribute = forms.ChoiceField(label="Behaviour", widget=forms.Select(
        attrs={"class": "form-select"}))

    def __init__(self, *args, agents, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [(a.pk, str(a)) for a in agents]
        self.fields["attribute"].choices = areas


# --- access helpers ------------------------------------------------------------------


def _agent(request, agent_id) -> User:
    """An agent the user may plan for (404 otherwise)."""
    agent_id = str(agent_id)
    agent = (sel.plannable_agent(request.organization, request.user, int(agent_id))
             if agent_id.isdigit() else None)
    if agent is None or agent.pk == request.user.pk:
        raise Http404("No such agent.")
    return agent


def _behaviour(request, key: str) -> tuple[str, str]:
    """(key, name) of a behaviour of the tenant's current scorecards (404 otherwise)."""
    name = dict(available_areas(request.organization)).get(key)
    if name is None:
        raise Http404("No such behaviour.")
    return key, name


def _visible(request, pk: int) -> CoachingPlan:
    try:
        return sel.plan_detail(sel.visible_plans(request.organization, request.user), pk)
    except CoachingPlan.DoesNotExist:
        raise Http404("No such coaching plan.") from None


def _managed(request, pk: int) -> CoachingPlan:
    """A plan the user works on as its manager (404 otherwise, also for its agent)."""
    if not request.user.has_perm(PLAN, request.organization):
        raise Http404("No such coaching plan.")
    try:
        return sel.plan_detail(sel.managed_plans(request.organization, request.user), pk)
    except CoachingPlan.DoesNotExist:
        raise Http404("No such coaching plan.") from None


# --- creating a plan -------------------------------------------------------------------


def _example_rows(request, weak_ids, best_ids) -> list[dict]:
    """The offered examples (the agent's weakest interactions, then best responses) with
    a link each, in one query."""
    items = {i.pk: i for i in WorkItem.objects.filter(organization=request.organization,
                                                      pk__in=[*weak_ids, *best_ids])}
    rows = []
    for kind, ids in ((PlanExampleKind.WEAK, weak_ids), (PlanExampleKind.BEST, best_ids)):
        for pk in ids:
            if pk in items:
                rows.append({"item": items[pk], "kind": kind, "kind_label": kind.label,
                             "url": org_url(request, "quality:interaction", pk=pk)})
    return rows


def _choices(rows) -> list[tuple[str, str]]:
    return [(str(r["item"].pk), r["item"].label) for r in rows]


def _advice_ids(advice) -> tuple[list[int], list[int]]:
    """The interaction ids of an Advice's weak and best examples."""
    def pk_of(example):
        item = example[0] if isinstance(example, tuple) else example
        return getattr(item, "interaction_id", None) or item.pk

    return ([pk_of(e) for e in advice.examples], [pk_of(e) for e in advice.best_examples])


def _compose(request, agent, key, exclude: set[str]):
    from .advice import compose_advice

    return compose_advice(request.organization, agent, key, exclude=exclude)


def _advice_context(request, agent, behaviour, advice, exclude: set[str]) -> dict:
    weak, best = _advice_ids(advice)
    rows = _example_rows(request, weak, best)
    form = PlanForm(today=_today(request), choices=_choices(rows), initial={
        "advice": advice.text, "variant_key": advice.variant_key,
        "offered_weak": ",".join(map(str, weak)), "offered_best": ",".join(map(str, best)),
        "examples": [str(pk) for pk in weak],
        "target_date": _today(request) + timedelta(days=30),
    })
    return {"form": form, "advice": advice, "rows": rows, "agent": agent,
            "behaviour": behaviour, "seen": ",".join(sorted({*exclude, advice.variant_key}))}


@org_permission_required(PLAN)
def plan_create(request):
    organization = request.organization
    if "agent" not in request.GET and "agent" not in request.POST:
        agents = sel.plannable_agents(organization, request.user)
        choose = ChooseForm(agents=agents, areas=available_areas(organization))
        return render(request, "coaching/plan_choose.html", {"choose": choose})
    agent = _agent(request, request.GET.get("agent") or request.POST.get("agent", ""))
    behaviour = _behaviour(request, request.GET.get("attribute")
                           or request.POST.get("attribute", ""))
    if request.method != "POST":
        exclude = {v for v in request.GET.get("exclude", "").split(",") if v}
        advice = _compose(request, agent, behaviour[0], exclude)
        return render(request, "coaching/plan_create.html",
                      _advice_context(request, agent, behaviour, advice, exclude))

    weak, best = _ids(request.POST.get("offered_weak", "")), \
        _ids(request.POST.get("offered_best", ""))
    rows = _example_rows(request, weak, best)
    form = PlanForm(request.POST, today=_today(request), choices=_choices(rows))
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a plan that cannot be sent is not kept either
                plan = plan_services.create_plan(
                    organization=organization, manager=request.user, agent=agent,
                    attribute_key=behaviour[0], advice=data["advice"],
                    target_percent=data["target_percent"], target_date=data["target_date"],
                    example_ids=[int(pk) for pk in data["examples"]],
                    advice_variant=data["variant_key"])
                plan_services.send_plan(plan=plan, actor=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Coaching plan sent to {agent} by e-mail.")
            return redirect(org_url(request, "coaching:plan_detail", pk=plan.pk))
    return render(request, "coaching/plan_create.html", {
        "form": form, "advice": None, "rows": rows, "agent": agent, "behaviour": behaviour,
        "seen": request.POST.get("seen", ""),
    }, status=400)


@org_permission_required(PLAN)
def plan_advice(request):
    """Another variant of the advice (htmx swaps the advice block; without htmx the whole
    create page is shown with the variant)."""
    agent = _agent(request, request.GET.get("agent", ""))
    behaviour = _behaviour(request, request.GET.get("attribute", ""))
    exclude = {v for v in request.GET.get("exclude", "").split(",") if v}
    if not request.htmx:
        return redirect(org_url(request, "coaching:plan_create") + "?" + urlencode({
            "agent": agent.pk, "attribute": behaviour[0], "exclude": ",".join(sorted(exclude))}))
    advice = _compose(request, agent, behaviour[0], exclude)
    return render(request, "coaching/plan_advice.html",
                  _advice_context(request, agent, behaviour, advice, exclude))


@require_POST
@org_permission_required(PLAN)
def plan_feedback(request):
    """Thumbs up (``vote`` 1) or down (-1) on an advice variant."""
    agent = _agent(request, request.POST.get("agent", ""))
    behaviour = _behaviour(request, request.POST.get("attribute", ""))
    vote = {"1": 1, "-1": -1}.get(request.POST.get("vote", ""))
    variant = request.POST.get("variant_key", "")
    if vote is None or not variant:
        return HttpResponse("Choose thumbs up or down.", status=400)
    try:
        plan_services.record_advice_feedback(
            organization=request.organization, user=request.user, attribute_key=behaviour[0],
            variant_key=variant, vote=vote)
    except DomainError as error:
        if request.htmx:
            return HttpResponse(error.message, status=400)
        messages.error(request, error.message)
    else:
        if request.htmx:
            return render(request, "coaching/plan_feedback.html", {"vote": vote})
        messages.success(request, "Thanks: your feedback steers which advice is offered.")
    return redirect(org_url(request, "coaching:plan_create") + "?" + urlencode({
        "agent": agent.pk, "attribute": behaviour[0]}))


# --- a plan --------------------------------------------------------------------------


def _evaluation_links(request, plan) -> dict[int, str]:
    """Where each example opens: the interaction for managers, the agent's own released
    evaluation of it for the agent (one query)."""
    ids = [example.interaction_id for example in plan.examples.all()]
    if request.user.has_perm("quality.audit", request.organization) \
            and plan.agent_id != request.user.pk:
        return {pk: org_url(request, "quality:interaction", pk=pk) for pk in ids}
    links = {}
    for evaluation in (visible_evaluations(request.organization, request.user)
                       .filter(interaction_id__in=ids).order_by("-id")):
        links.setdefault(evaluation.interaction_id,
                         org_url(request, "quality:evaluation", pk=evaluation.pk))
    return links


def _plan_context(request, plan, note_form=None) -> dict:
    today = _today(request)
    is_agent = plan.agent_id == request.user.pk
    weeks = sel.behaviour_over_time(plan, today)
    links = _evaluation_links(request, plan)
    return {
        "plan": plan, "today": today, "is_agent": is_agent, "manages": not is_agent,
        "status_help": STATUS_HELP[plan.status], "tone": STATUS_TONE[plan.status],
        "weeks": weeks, "chart": charts_plans.behaviour_chart(weeks, target=plan.target_percent,
                                              today=today),
        "examples": [{"example": e, "url": links.get(e.interaction_id)}
                     for e in plan.examples.all()],
        "notes": list(plan.notes.all()),
        "may_note": not is_agent and plan.status != PlanStatus.DRAFT
        and today <= plan.target_date,
        "note_form": note_form or NoteForm(),
    }


@org_permission_required(OWN)
def plan_detail(request, pk: int):
    plan = _visible(request, pk)
    record_access(request, subject=plan.agent_id, kind=AccessKind.PLAN, obj=plan,
                  label=f"Coaching plan: {plan.attribute_name}")
    if plan.agent_id == request.user.pk and plan.status == PlanStatus.SHARED:
        plan_services.open_plan(plan=plan, user=request.user)
        plan = _visible(request, pk)
    return render(request, "coaching/plan_detail.html", _plan_context(request, plan))


@require_POST
@org_permission_required(PLAN)
def plan_send(request, pk: int):
    plan = _managed(request, pk)
    try:
        plan_services.send_plan(plan=plan, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Coaching plan sent to {plan.agent} by e-mail.")
    return redirect(org_url(request, "coaching:plan_detail", pk=plan.pk))


@require_POST
@org_permission_required(PLAN)
def plan_note_add(request, pk: int):
    plan = _managed(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            plan_services.add_note(plan=plan, author=request.user,
                                      text=form.cleaned_data["text"])
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Meeting note added.")
            return redirect(org_url(request, "coaching:plan_detail", pk=plan.pk) + "#notes")
    return render(request, "coaching/plan_detail.html",
                  _plan_context(request, plan, note_form=form), status=400)


@org_permission_required(PLAN)
def plan_delete(request, pk: int):
    """GET asks to confirm; POST deletes (recorded: who and when)."""
    plan = _managed(request, pk)
    if request.method == "POST":
        try:
            plan_services.delete_plan(plan=plan, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(org_url(request, "coaching:plan_detail", pk=plan.pk))
        messages.success(request, f"Coaching plan “{plan.attribute_name}” for {plan.agent} "
                                  "deleted.")
        return redirect(org_url(request, "coaching:agent_sessions", agent_id=plan.agent_id))
    return render(request, "coaching/plan_delete.html", {"plan": plan})


def _toned(plans: list[CoachingPlan]) -> list[CoachingPlan]:
    for plan in plans:
        plan.tone = STATUS_TONE[plan.status]
    return plans


# --- the manager's Coaching sessions tab ------------------------------------------------


@org_permission_required(PLAN)
def agent_sessions(request, agent_id: int):
    agent = _agent(request, agent_id)
    agents = sel.plannable_people(request.organization, request.user)
    typed = request.GET.get("agent", "")
    switch = SwitchAgentForm({"agent": typed} if typed else None, agents=agents)
    if (answer := suggestions(request, switch)) is not None:  # the switcher's type-ahead
        return answer
    if typed.isdigit() and int(typed) != agent_id:  # links (another team's id: 404)
        other = _agent(request, typed)
        return redirect(org_url(request, "coaching:agent_sessions", agent_id=other.pk))
    if typed and switch.is_valid() and switch.cleaned_data["agent"].pk != agent_id:
        return redirect(org_url(request, "coaching:agent_sessions",
                                agent_id=switch.cleaned_data["agent"].pk))
    if not switch.is_bound or not switch.errors:
        switch = SwitchAgentForm(initial={"agent": agent}, agents=agents)
    record_access(request, subject=agent, kind=AccessKind.PLAN, obj=None,
                  label="Coaching sessions (every plan)")
    plans = _toned(sel.agent_plans(request.organization, request.user, agent))
    return render(request, "coaching/plan_sessions.html", {
        "agent": agent, "plans": plans, "switch": switch,
        "areas": available_areas(request.organization),
    })


# --- the agent's plans on My coaching ---------------------------------------------------


def my_plans_section(request) -> str | None:
    """The agent's plans on My coaching: a month calendar by target date and a list.
    Shown to anyone with plans, and to agents (empty) so they know where plans appear."""
    organization, user = request.organization, request.user
    if not user.has_perm(OWN, organization):
        return None
    plans = _toned(sel.own_plans(organization, user))
    is_agent = bool(getattr(getattr(request, "membership", None), "is_agent", False))
    if not plans and not is_agent:
        return None
    today = _today(request)
    month = sel.month_of(request.GET.get("plans_month"), today)
    return render_to_string("coaching/plan_mine.html", {
        "plans": plans, "calendar": sel.plan_calendar(plans, month, today),
        "today": today,
        "base": reverse("tenancy:my_coaching", kwargs={"org_slug": organization.slug}),
    }, request=request)
