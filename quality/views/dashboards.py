"""Quality dashboards: the leaderboard per team or queue (managers) and "My quality"
(an agent's own numbers and released audits). Both read only the rollups."""

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from tenancy.enums import Role
from tenancy.models import Team, TeamMember
from tenancy.pseudonyms import peer_names
from tenancy.selectors import coachable_agents, sees_everything, teams_coached_by
from tenancy.views import org_permission_required

from .. import charts, selectors
from ..extensions import dashboard_cards_for

EVALUATIONS_PAGE = 25
SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class DashboardFilter(forms.Form):
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None,
                                  widget=SELECT)
    queue = forms.ChoiceField(label="Queue", required=False, widget=SELECT)
    period = forms.TypedChoiceField(
        label="Period", coerce=int, required=False, empty_value=30, widget=SELECT,
        choices=[(d, f"Last {d} days") for d in selectors.LEADERBOARD_PERIODS],
        initial=30,
    )

    def __init__(self, data, *, teams: list | None, scorecards: list, everyone: bool = False):
        super().__init__(data)
        if teams is None:
            del self.fields["team"]
        else:
            self.fields["team"].choices = [
                ("", "All agents" if everyone else "All agents I coach")] + [
                (t.pk, t.name) for t in teams]
        self.fields["queue"].choices = [
            (card.queue, f"{card.queue} ({card.name})" if card.queue
             else f"Other queues ({card.name})")
            for card in scorecards if card.queue or card.is_default
        ]


def _filters(request, *, teams: list | None, scorecards: list,
             everyone: bool = False) -> tuple[DashboardFilter, dict]:
    form = DashboardFilter(request.GET or None, teams=teams, scorecards=scorecards,
                           everyone=everyone)
    chosen = {"team": None, "queue": "", "period": 30}
    if form.is_bound and form.is_valid():
        chosen.update({k: v for k, v in form.cleaned_data.items() if v not in (None,)})
    if chosen["period"] not in selectors.LEADERBOARD_PERIODS:
        chosen["period"] = 30
    return form, chosen


def _scorecard(scorecards: list, queue: str):
    own = next((c for c in scorecards if queue and c.queue == queue), None)
    return own or next((c for c in scorecards if c.is_default), None) or (
        scorecards[0] if scorecards else None)


def _context(board, form, chosen) -> dict:
    return {
        "board": board, "form": form, "chosen": chosen,
        "bars": charts.attribute_bars(board.overall.attributes) if board.overall else None,
        "trend": charts.score_trend(board.weeks) if board.weeks else None,
    }


@org_permission_required("quality.view_dashboards")
def leaderboard(request):
    organization, user = request.organization, request.user
    everyone = sees_everything(organization, user, Role.QA_ANALYST)
    teams = list(Team.objects.filter(organization=organization).order_by("name") if everyone
                 else teams_coached_by(organization, user).order_by("name"))
    scorecards = selectors.dashboard_scorecards(organization)
    form, chosen = _filters(request, teams=teams, scorecards=scorecards, everyone=everyone)
    visible = None if everyone else coachable_agents(organization, user)
    extra = None
    if chosen["team"] is not None:
        members = TeamMember.objects.filter(organization=organization, team_id=chosen["team"])
        if visible is not None:
            members = members.filter(user_id__in=visible)
        visible = extra = members.values("user_id")
    board = selectors.leaderboard(
        organization, scorecard=_scorecard(scorecards, chosen["queue"]),
        today=timezone.localdate(timezone=organization.tzinfo), days=chosen["period"],
        agents=visible, extra_agents=extra, page=request.GET.get("page"),
        sort_name=peer_names(request).sort_key,
    )
    context = _context(board, form, chosen)
    team = next((t for t in teams if t.pk == chosen["team"]), None)
    context["scope_label"] = (team.name if team else
                              "All agents" if everyone else "All agents I coach")
    template = "quality/leaderboard.html"
    # The apps above quality add their cards ("Agents in coaching", the period's metrics);
    # a filter swap returns them too, out of band, so they follow the chosen period.
    context["cards"] = dashboard_cards_for(request)
    if request.htmx and request.htmx.target == "leaderboard-results":
        template += "#swap"
        context["cards_oob"] = True
    return render(request, template, context)


@org_permission_required("quality.view_own_quality")
def my_quality(request):
    organization, user = request.organization, request.user
    scorecards = selectors.dashboard_scorecards(organization)
    form, chosen = _filters(request, teams=None, scorecards=scorecards)
    board = selectors.leaderboard(
        organization, scorecard=_scorecard(scorecards, chosen["queue"]),
        today=timezone.localdate(timezone=organization.tzinfo), days=chosen["period"],
        agents=[user.pk], extra_agents=[user.pk],
    )
    page = Paginator(selectors.released_evaluations_of(organization, user),
                     EVALUATIONS_PAGE).get_page(request.GET.get("page"))
    context = _context(board, form, chosen)
    context.update({"row": board.rows[0] if board.rows else None, "page": page})
    return render(request, "quality/my_quality.html", context)
