"""Behaviour coaching pages (issue 18): team performance per behaviour with the agents'
breakout and outliers, Coaching required (frequency × impact), the agent overview, the
directory of agents, and the quality home's contact-center cards.

Coaches see the agents of the teams they coach; QA analysts and org admins every agent;
an agent may open only their own overview. An agent the user may not look at is a 404.
"""

import logging

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from privacy.access import record_access
from privacy.models import AccessKind
from tenancy.models import Membership, TeamMember, User
from tenancy.pseudonyms import peer_names
from tenancy.views import org_permission_required, org_url

from . import charts_behaviours
from . import selectors_behaviours as sel

MANAGE = "coaching.manage_coaching_assignments"
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})
ADVICE_AREAS = 3  # the top improvement areas that get advice on the overview

logger = logging.getLogger(__name__)


class PeriodForm(forms.Form):
    period = forms.TypedChoiceField(
        label="Period", coerce=int, required=False, empty_value=sel.DEFAULT_PERIOD,
        choices=[(d, f"Last {d} days") for d in sel.PERIODS], widget=SELECT,
        initial=sel.DEFAULT_PERIOD)


class TeamPeriodForm(PeriodForm):
    team = forms.TypedChoiceField(label="Team", coerce=int, required=False,
                                  empty_value=None, widget=SELECT)

    field_order = ["team", "period"]

    def __init__(self, data, *, teams, everyone_label: str | None = None):
        super().__init__(data)
        choices = [(t.pk, t.name) for t in teams]
        if everyone_label:
            choices = [("", everyone_label), *choices]
        self.fields["team"].choices = choices


def _today(request):
    return timezone.localdate(timezone=request.organization.tzinfo)


def _period(form) -> int:
    if form.is_bound and form.is_valid():
        return form.cleaned_data.get("period") or sel.DEFAULT_PERIOD
    return sel.DEFAULT_PERIOD


def _chosen_team(form, teams):
    if form.is_bound and form.is_valid() and form.cleaned_data.get("team"):
        return next((t for t in teams if t.pk == form.cleaned_data["team"]), None)
    return None


def _agents_of(request, team=None) -> list[User]:
    """The agents the user may look at (in ``team`` when given), by what the page shows of
    them (name, or pseudonym: :mod:`tenancy.pseudonyms`)."""
    organization = request.organization
    agents = User.objects.filter(pk__in=sel.visible_agent_ids(organization, request.user))
    if team is not None:
        agents = agents.filter(pk__in=TeamMember.objects.filter(
            organization=organization, team=team).values("user_id"))
    return peer_names(request).sorted(agents.order_by("first_name", "last_name", "username"))


@org_permission_required(MANAGE)
def team_performance(request):
    """The team's score per behaviour for a period, each with the agents' breakout."""
    organization = request.organization
    teams = list(sel.visible_teams(organization, request.user))
    form = TeamPeriodForm(request.GET or None, teams=teams)
    team = _chosen_team(form, teams) or (teams[0] if teams else None)
    days = _period(form)
    start, end = sel.period_of(_today(request), days)
    agents = _agents_of(request, team) if team else []
    performance = sel.team_performance(organization, agents=agents, start=start, end=end,
                                       sort_name=peer_names(request).sort_key)
    opened = request.GET.get("behaviour", "")
    bars = [(row, charts_behaviours.interval_bar(row.estimate), _breakout(row, opened))
            for row in performance.rows]
    params = request.GET.copy()
    params.pop("behaviour", None)
    return render(request, "coaching/behaviours_team.html", {
        "form": form, "team": team, "teams": teams, "days": days,
        "sees_all": sel.sees_all_agents(organization, request.user),
        "performance": performance, "bars": bars, "opened": opened,
        "query": params.urlencode(),
    })


BREAKOUT_ROWS = 10


def _breakout(row, opened: str) -> list:
    """The agents a behaviour's breakout lists: all of them for the behaviour asked for
    (``?behaviour=<key>``), otherwise the BREAKOUT_ROWS weakest and every outlier — a team
    of 500 agents times 20 behaviours is 10,000 table rows nobody reads at once."""
    if row.attribute.key == opened:
        return row.agents
    return [c for n, c in enumerate(row.agents) if n < BREAKOUT_ROWS or c.outlier]


@org_permission_required(MANAGE)
def coaching_required(request):
    """Agents × behaviours ranked by frequency × impact, with n."""
    organization = request.organization
    teams = list(sel.visible_teams(organization, request.user))
    everyone = sel.sees_all_agents(organization, request.user)
    form = TeamPeriodForm(request.GET or None, teams=teams,
                          everyone_label="All agents" if everyone else "All agents I coach")
    team = _chosen_team(form, teams)
    days = _period(form)
    start, end = sel.period_of(_today(request), days)
    scoring = sel.scoring_of(organization)
    agents = _agents_of(request, team)
    needs = sel.coaching_needs(organization, agents=agents, start=start, end=end,
                               scoring=scoring, sort_name=peer_names(request).sort_key)
    reviews = 0
    if not needs:  # say why the page is empty: no scorecard, nothing scored, or no need
        reviews = sum(part.n for sums in sel.read_sums(
            organization, scoring, agents=[a.pk for a in agents], start=start, end=end,
            keys=[]).values() for part in sums.values())
    page = Paginator(needs, sel.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "coaching/behaviours_required.html", {
        "form": form, "team": team, "days": days, "start": start, "end": end,
        "page": page, "query": query.urlencode(), "impact_formula": sel.IMPACT_FORMULA,
        "has_scorecard": scoring.scorecard is not None, "reviews": reviews,
        "scope_label": (
            team.name if team else "all agents" if everyone else "all agents you coach"),
    })


def _overview_agent(request, agent_id: int) -> User:
    """The agent of an overview: the user themselves, or an agent they may look at; a
    member without the managing permission gets 403 for anyone else, everyone else 404."""
    organization, user = request.organization, request.user
    if agent_id != user.pk and not user.has_perm(MANAGE, organization):
        raise PermissionDenied("You may see only your own overview.")
    agent = sel.visible_agent(organization, user, agent_id)
    if agent is None:
        raise Http404("No such agent.")
    return agent


def _advice_for(organization, agent, needs) -> list[tuple]:
    """``[(need, advice)]`` for the top improvement areas, from ``coaching.advice`` when
    that module is there (nothing otherwise, and nothing for an area that fails)."""
    try:
        from . import advice as advice_module
    except ImportError:
        return []
    compose = getattr(advice_module, "compose_advice", None)
    if compose is None:
        return []
    result, seen = [], set()
    for need in needs:
        if need.attribute.key in seen:
            continue
        seen.add(need.attribute.key)
        try:
            result.append((need, compose(organization, agent, need.attribute.key)))
        except Exception:  # another module's failure must not break the overview
            logger.exception("Advice for %s / %s failed", agent.pk, need.attribute.key)
        if len(seen) == ADVICE_AREAS:
            break
    return result


@org_permission_required("coaching.view_own_coaching_assignments")
def agent_overview(request, agent_id: int):
    """An agent's information, "about me", metrics, behaviours with trend and advice."""
    organization = request.organization
    agent = _overview_agent(request, agent_id)
    record_access(request, subject=agent, kind=AccessKind.OVERVIEW, obj=agent,
                  label="Performance overview")
    form = PeriodForm(request.GET or None)
    days = _period(form)
    start, end = sel.period_of(_today(request), days)
    teams = list(sel.teams_of(organization, agent))
    if teams:  # a subquery: the database sums the team's scores
        team_agents = TeamMember.objects.filter(
            organization=organization, team__in=[t.pk for t in teams]).values("user_id")
    else:  # in no team (imported with work that named none): compare with every agent
        team_agents = Membership.objects.filter(
            organization=organization, is_agent=True).values("user_id")
    overview = sel.agent_overview(organization, agent, start=start, end=end,
                                  team_agents=team_agents)
    can_plan = (agent.pk != request.user.pk
                and request.user.has_perm("coaching.plan_coaching", organization))
    return render(request, "coaching/behaviours_agent.html", {
        "form": form, "agent": agent, "days": days, "overview": overview, "teams": teams,
        "is_self": agent.pk == request.user.pk,
        "compared_with": "team" if teams else "all agents'",
        "handle_time": _duration(overview.activity.handle_time),
        "can_plan": can_plan, "advice": _advice_for(organization, agent, overview.needs),
    })


@org_permission_required("coaching.view_own_plans")
def my_overview(request):
    """The signed-in member's own overview (the agent menu's "My performance")."""
    return agent_overview(request, request.user.pk)


class DirectoryForm(forms.Form):
    q = forms.CharField(label="Search by name", required=False, max_length=100,
                        widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                      "type": "search"}))
    show = forms.ChoiceField(label="Show", required=False, widget=SELECT, choices=[
        ("", "All agents"), ("needs", "Needs coaching"), ("improving", "Improving")])


@org_permission_required(MANAGE)
def agent_directory(request):
    """Every agent the user may look at, with performance, coaching and improvement."""
    form = DirectoryForm(request.GET or None)
    query = show = ""
    if form.is_bound and form.is_valid():
        query, show = form.cleaned_data["q"].strip(), form.cleaned_data["show"]
    names = peer_names(request)
    if names.active:  # search and order by what is shown: a name must not find a pseudonym
        rows = sel.directory(request.organization, request.user, today=_today(request),
                             show=show)
        rows = names.sorted((r for r in rows if names.matches(r.agent, query)),
                            lambda r: r.agent)
        page = Paginator(rows, sel.PAGE_SIZE).get_page(request.GET.get("page"))
    elif show:  # "needs coaching" and "improving" are decided per agent: all are read
        rows = sel.directory(request.organization, request.user, today=_today(request),
                             query=query, show=show)
        page = Paginator(rows, sel.PAGE_SIZE).get_page(request.GET.get("page"))
    else:  # the database pages the agents; only the page's 25 are read
        page = sel.directory_page(request.organization, request.user, today=_today(request),
                                  query=query, number=request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "coaching/behaviours_agents.html", {
        "form": form, "page": page, "query": params.urlencode(), "show": show,
        "improving_points": sel.IMPROVING_POINTS,
    })


# --- the quality home's contact-center cards ---------------------------------------------


def _center_metrics(request):
    """The metrics of the agents the user may look at over the leaderboard's period
    (``?period=`` 7/30/90, default 30), computed once per request for the three cards."""
    cached = getattr(request, "_coaching_center_metrics", None)
    if cached is None:
        try:
            days = int(request.GET.get("period") or sel.DEFAULT_PERIOD)
        except ValueError:
            days = sel.DEFAULT_PERIOD
        if days not in sel.PERIODS:
            days = sel.DEFAULT_PERIOD
        start, end = sel.period_of(_today(request), days)
        metrics = sel.center_metrics(
            request.organization, agents=sel.visible_agent_ids(request.organization,
                                                               request.user),
            start=start, end=end)
        cached = request._coaching_center_metrics = (days, metrics)
    return cached


def _versus(days: int, delta: str | None, previous_n: int) -> str:
    if delta is None:
        return f"previous {days} days: too few to compare (n {previous_n})"
    return f"{delta} vs previous {days} days (n {previous_n})"


def center_score_card(request) -> dict | None:
    if not request.user.has_perm(MANAGE, request.organization):
        return None
    days, m = _center_metrics(request)
    score, before = m.score, m.previous_score
    value = f"{score.value:.1f}" if score.has_value else "—"
    interval = (f" [{score.low:.1f}–{score.high:.1f}]" if score.enough and score.has_interval
                else "")
    delta = (f"{score.value - before.value:+.1f}" if score.enough and before.enough
             else None)
    return {"title": "Average QA score", "value": value,
            "caption": f"Last {days} days{interval} · n {score.n} · "
                       f"{_versus(days, delta, before.n)}",
            "url": org_url(request, "coaching:behaviours_team")}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def center_handle_card(request) -> dict | None:
    if not request.user.has_perm(MANAGE, request.organization):
        return None
    days, m = _center_metrics(request)
    now, before = m.activity.handle_time, m.previous_activity.handle_time
    delta = (None if now is None or before is None
             else f"{'+' if now >= before else '−'}{_duration(abs(now - before))}")
    return {"title": "Average handle time", "value": _duration(now),
            "caption": f"Last {days} days · n {m.activity.handle_n} · "
                       f"{_versus(days, delta, m.previous_activity.handle_n)}",
            "url": org_url(request, "coaching:behaviours_agents")}


def center_interactions_card(request) -> dict | None:
    if not request.user.has_perm(MANAGE, request.organization):
        return None
    days, m = _center_metrics(request)
    now, before = m.activity.interactions, m.previous_activity.interactions
    return {"title": "Interactions", "value": f"{now:,}",
            "caption": f"Last {days} days · {now - before:+,} vs previous {days} days "
                       f"({before:,})",
            "url": org_url(request, "coaching:behaviours_agents")}


def recent_advice_card(request) -> dict | None:
    """The plans the user sent most recently, with the behaviour's score before and since."""
    from django.template.loader import render_to_string

    from . import selectors_plans

    organization = request.organization
    if not request.user.has_perm("coaching.plan_coaching", organization):
        return None
    rows = selectors_plans.recently_sent(organization, request.user, today=_today(request))
    return {"title": "Recently sent advice", "wide": True,
            "html": render_to_string("coaching/recent_advice_card.html", {
                "rows": rows, "before_days": selectors_plans.BEFORE_DAYS,
            }, request=request)}
