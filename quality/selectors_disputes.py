"""Reads of the dispute analytics: what agents' disputes teach about evaluators and
attributes.

- **Overturn rate** of an evaluator (the audit's evaluator) or of an attribute (by key,
  across scorecard versions): the share of disputed attributes — :class:`DisputeItem` rows
  with a decision — that the reviewer changed, with n and the 95 % Wilson interval.
- **Time to resolve**: the median hours from a dispute being raised to its decision, and
  per evaluation from its first dispute to the end of its review.
- **SLA breaches**: rounds decided after their ``due_at``, or still open past it.
- **Share of audits disputed per team**: of the released audits opened for the agent's
  review, how many the agent disputed at least once, grouped by the agent's team
  membership (as the leaderboard groups; an agent of two teams counts in both).

Everything counts the disputes *raised* in the period (the last 30, 90 or 365 days) and,
for a coach, only the agents of the teams they coach (as the leaderboard). Each block is
one aggregate query, so the page costs the same number of queries however many disputes
there are.
"""

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
)
from django.utils import timezone

from tenancy.enums import Role
from tenancy.models import Organization, TeamMember, User
from tenancy.selectors import coachable_agents, sees_everything, teams_coached_by

from .enums import (
    REVIEW_FINISHED,
    CalibrationSubject,
    DisputeDecision,
    EvaluationKind,
    EvaluationState,
    ReviewState,
)
from .models import CalibrationCandidate, Dispute, DisputeItem, Evaluation
from .selectors import quality_settings
from .stats import wilson_interval

ANALYTICS_PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90

# An evaluator or attribute is flagged for calibration when even the low end of its
# overturn rate's 95 % interval is above this share: reviewers changed more than a
# quarter of what agents disputed, and chance alone does not explain it.
FLAG_LOWER_BOUND = 0.25

OPEN_CANDIDATES_SHOWN = 50


class Median(Aggregate):
    """The median (``percentile_cont(0.5)``) of an expression, on PostgreSQL."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    allow_distinct = False


def _aggregate(queryset: QuerySet, *, counts: dict, spans: dict[str, tuple]) -> dict:
    """``queryset.aggregate(**counts)`` and, for each ``name: (duration expression, Q)``,
    the median of the expression over the rows matching the Q (nulls left out) as
    ``name`` and their count as ``name_n``: one query on PostgreSQL; the values are read
    on other databases (no median aggregate there)."""
    if connection.vendor == "postgresql":
        medians = {}
        for name, (expression, where) in spans.items():
            medians[name] = Median(expression, filter=where, output_field=DurationField())
            medians[f"{name}_n"] = Count(expression, filter=where)
        return queryset.aggregate(**counts, **medians)
    found = queryset.aggregate(**counts)
    for name, (expression, where) in spans.items():
        values = [v for v in queryset.filter(where).annotate(_span=expression)
                  .values_list("_span", flat=True) if v is not None]
        found[name] = statistics.median(values) if values else None
        found[f"{name}_n"] = len(values)
    return found


def _hours(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 3600


@dataclass(frozen=True)
class Share:
    """``part`` of ``n`` with its Wilson interval (0–1); ``enough``: n reaches the
    tenant's minimum (below it the page says "too few disputes to act")."""

    part: int
    n: int
    rate: float | None
    low: float | None
    high: float | None
    enough: bool

    @classmethod
    def of(cls, part: int, n: int, *, minimum: int) -> "Share":
        rate, low, high = wilson_interval(part, n)
        return cls(part=part, n=n, rate=rate, low=low, high=high, enough=n >= minimum)

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else 100 * self.rate

    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else 100 * self.low

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else 100 * self.high


@dataclass(frozen=True)
class OverturnRow:
    """The overturn rate of one evaluator (``evaluator_id``) or attribute (``key``)."""

    subject: str  # CalibrationSubject
    label: str
    share: Share
    flagged: bool
    waiting: bool  # an open calibration candidate of this subject exists
    evaluator_id: int | None = None
    key: str = ""


NO_TEAM = "No team"


@dataclass(frozen=True)
class TeamRow:
    team_id: int
    name: str
    share: Share  # disputed of released audits open to review


@dataclass(frozen=True)
class DisputeAnalytics:
    days: int
    start: datetime
    end: datetime
    min_reviews: int
    everyone: bool
    disputes: int  # rounds raised in the period
    open: int
    by_evaluator: list[OverturnRow]
    by_attribute: list[OverturnRow]
    median_decide_hours: float | None
    decided: int
    median_evaluation_hours: float | None
    evaluations_finished: int
    sla: Share  # breaches of the rounds raised
    teams: list[TeamRow]
    candidates: list[CalibrationCandidate]

    @property
    def flagged(self) -> int:
        return sum(r.flagged for r in self.by_evaluator + self.by_attribute)


def _scope(user_ids, *, prefix: str) -> Q:
    return Q() if user_ids is None else Q(**{f"{prefix}__in": user_ids})


def decided_items(organization: Organization, *, since: datetime, agents=None,
                  ) -> QuerySet[DisputeItem]:
    """Disputed attributes with a decision, of rounds raised since ``since`` (of
    ``agents``' audits when given: a subquery or list of user ids)."""
    return DisputeItem.objects.filter(
        _scope(agents, prefix="dispute__evaluation__agent_id"),
        organization=organization, dispute__raised_at__gte=since,
        decision__in=DisputeDecision.values,
    )


_CHANGED = Count("pk", filter=Q(decision=DisputeDecision.CHANGED))


def _flag(share: Share) -> bool:
    return share.enough and share.low is not None and share.low > FLAG_LOWER_BOUND


def _order(rows: list[OverturnRow]) -> list[OverturnRow]:
    """Worst first: the highest lower bound (the rate chance explains least), then n."""
    return sorted(rows, key=lambda r: (-(r.share.low or 0.0), -r.share.n, r.label))


def overturn_rows(organization: Organization, *, since: datetime, minimum: int,
                  agents=None, items: QuerySet[DisputeItem] | None = None,
                  waiting_evaluators: set = frozenset(), waiting_attributes: set = frozenset(),
                  ) -> tuple[list[OverturnRow], list[OverturnRow]]:
    """The overturn rows by evaluator and by attribute, worst first, from one scan of the
    decided disputed attributes grouped by (the audit's evaluator, attribute key) — at
    most evaluators × attributes cells, summed here — and one read of the evaluators'
    names. ``items`` narrows the disputed attributes (one subject)."""
    items = items if items is not None else decided_items(organization, since=since,
                                                          agents=agents)
    cells = (items.values("dispute__evaluation__evaluator_id", "attribute__key")
             .annotate(n=Count("pk"), changed=_CHANGED, name=Max("attribute__name"))
             .order_by())
    evaluators: dict[int | None, list[int]] = {}
    attributes: dict[str, list] = {}
    for cell in cells:
        for sums in (evaluators.setdefault(cell["dispute__evaluation__evaluator_id"], [0, 0]),
                     attributes.setdefault(cell["attribute__key"], [0, 0, ""])):
            sums[0] += cell["changed"]
            sums[1] += cell["n"]
        attributes[cell["attribute__key"]][2] = max(attributes[cell["attribute__key"]][2],
                                                    cell["name"])
    names = {u.pk: u.get_full_name() or u.username for u in User.objects.filter(
        pk__in=[pk for pk in evaluators if pk is not None])
        .only("username", "first_name", "last_name")} if evaluators else {}
    by_evaluator = []
    for evaluator_id, (changed, n) in evaluators.items():
        share = Share.of(changed, n, minimum=minimum)
        by_evaluator.append(OverturnRow(
            subject=CalibrationSubject.EVALUATOR,
            label=names.get(evaluator_id, "(evaluator removed)"), share=share,
            flagged=evaluator_id is not None and _flag(share),
            waiting=evaluator_id in waiting_evaluators, evaluator_id=evaluator_id,
        ))
    by_attribute = []
    for key, (changed, n, name) in attributes.items():
        share = Share.of(changed, n, minimum=minimum)
        by_attribute.append(OverturnRow(
            subject=CalibrationSubject.ATTRIBUTE, label=name, share=share,
            flagged=_flag(share), waiting=key in waiting_attributes, key=key,
        ))
    return _order(by_evaluator), _order(by_attribute)


def open_candidates(organization: Organization) -> list[CalibrationCandidate]:
    """Calibration candidates no session has taken up yet, newest first, with how many
    evaluations each carries (``evaluation_count``)."""
    return list(CalibrationCandidate.objects.filter(organization=organization,
                                                    taken_at__isnull=True)
                .select_related("evaluator", "created_by")
                .annotate(evaluation_count=Count("evaluations"))
                .order_by("-created_at", "-id")[:OPEN_CANDIDATES_SHOWN])


def dispute_analytics(organization: Organization, user: User, *, days: int,
                      now: datetime | None = None) -> DisputeAnalytics:
    """The dispute analytics page for ``user``: the whole tenant for org admins and QA
    analysts, the agents of the teams they coach for a coach. Five queries (six for QA
    analysts and org admins, who also see the agents in no team)."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    minimum = quality_settings(organization).min_reviews
    everyone = sees_everything(organization, user, Role.QA_ANALYST)
    agents = None if everyone else coachable_agents(organization, user)

    candidates = open_candidates(organization)
    waiting_evaluators = {c.evaluator_id for c in candidates
                          if c.subject == CalibrationSubject.EVALUATOR}
    waiting_attributes = {c.attribute_key for c in candidates
                          if c.subject == CalibrationSubject.ATTRIBUTE}

    rounds = Dispute.objects.filter(_scope(agents, prefix="evaluation__agent_id"),
                                    organization=organization, raised_at__gte=since)
    # Per round raised → decided; per audit, its first round raised → its review over.
    summary = _aggregate(rounds, counts={
        "n": Count("pk"), "open": Count("pk", filter=Q(decided_at__isnull=True)),
        "breaches": Count("pk", filter=Q(decided_at__gt=F("due_at"))
                          | Q(decided_at__isnull=True, due_at__lte=now)),
    }, spans={
        "to_decide": (ExpressionWrapper(F("decided_at") - F("raised_at"),
                                     output_field=DurationField()), Q()),
        "to_resolve": (ExpressionWrapper(F("evaluation__reviewed_at") - F("raised_at"),
                                         output_field=DurationField()),
                       Q(round=1, evaluation__review_state__in=REVIEW_FINISHED)),
    })

    by_evaluator, by_attribute = overturn_rows(
        organization, since=since, agents=agents, minimum=minimum,
        waiting_evaluators=waiting_evaluators, waiting_attributes=waiting_attributes)
    return DisputeAnalytics(
        days=days, start=since, end=now, min_reviews=minimum, everyone=everyone,
        disputes=summary["n"], open=summary["open"],
        by_evaluator=by_evaluator, by_attribute=by_attribute,
        median_decide_hours=_hours(summary["to_decide"]), decided=summary["to_decide_n"],
        median_evaluation_hours=_hours(summary["to_resolve"]),
        evaluations_finished=summary["to_resolve_n"],
        sla=Share.of(summary["breaches"], summary["n"], minimum=minimum),
        teams=disputed_share_by_team(organization, user, since=since, minimum=minimum,
                                     everyone=everyone),
        candidates=candidates,
    )


def disputed_share_by_team(organization: Organization, user: User, *, since: datetime,
                           minimum: int, everyone: bool) -> list[TeamRow]:
    """Per team (the agent's team membership, as the leaderboard groups): of the audits
    released since ``since`` and opened for the agent's review, how many were disputed at
    least once. A coach sees the teams they coach."""
    memberships = TeamMember.objects.filter(organization=organization)
    if not everyone:
        memberships = memberships.filter(
            team_id__in=teams_coached_by(organization, user).values("pk"),
            user_id__in=coachable_agents(organization, user),
        )
    under_review = (Evaluation.objects
                    .filter(organization=organization, kind=EvaluationKind.MANUAL,
                            state=EvaluationState.RELEASED, released_at__gte=since)
                    .exclude(review_state=ReviewState.NONE))
    audits = (under_review
              .filter(agent__team_memberships__in=memberships)
              .values("agent__team_memberships__team_id",
                      "agent__team_memberships__team__name")
              .annotate(released=Count("pk", distinct=True),
                        disputed=Count("pk", distinct=True, filter=Q(review_rounds__gt=0)))
              .order_by("agent__team_memberships__team__name"))
    rows = [TeamRow(team_id=g["agent__team_memberships__team_id"],
                    name=g["agent__team_memberships__team__name"],
                    share=Share.of(g["disputed"], g["released"], minimum=minimum))
            for g in audits]
    if everyone:  # agents in no team are counted too, on a row of their own
        loose = (under_review
                 .exclude(agent_id__in=TeamMember.objects.filter(organization=organization)
                          .values("user_id"))
                 .aggregate(released=Count("pk"),
                            disputed=Count("pk", filter=Q(review_rounds__gt=0))))
        if loose["released"]:
            rows.append(TeamRow(team_id=0, name=NO_TEAM,
                                share=Share.of(loose["disputed"], loose["released"],
                                               minimum=minimum)))
    return rows


def _subject_items(organization: Organization, *, subject: str, since: datetime,
                   evaluator_id: int | None, attribute_key: str) -> QuerySet[DisputeItem]:
    items = decided_items(organization, since=since)
    if subject == CalibrationSubject.EVALUATOR:
        return items.filter(dispute__evaluation__evaluator_id=evaluator_id)
    return items.filter(attribute__key=attribute_key)


def flagged_row(organization: Organization, *, subject: str, days: int,
                evaluator_id: int | None = None, attribute_key: str = "",
                now: datetime | None = None) -> OverturnRow | None:
    """The whole tenant's overturn row of one evaluator or attribute over the last
    ``days`` (what sending to calibration re-checks), or None when it has no decided
    disputes."""
    if (subject == CalibrationSubject.EVALUATOR and evaluator_id is None
            or subject == CalibrationSubject.ATTRIBUTE and not attribute_key):
        return None
    since = (now or timezone.now()) - timedelta(days=days)
    by_evaluator, by_attribute = overturn_rows(
        organization, since=since, minimum=quality_settings(organization).min_reviews,
        items=_subject_items(organization, subject=subject, since=since,
                             evaluator_id=evaluator_id, attribute_key=attribute_key))
    rows = by_evaluator if subject == CalibrationSubject.EVALUATOR else by_attribute
    return rows[0] if rows else None


def disputed_evaluation_ids(organization: Organization, *, subject: str, since: datetime,
                            evaluator_id: int | None = None,
                            attribute_key: str = "") -> list[int]:
    """The evaluations whose decided disputes count toward an evaluator's or attribute's
    overturn rate since ``since``."""
    items = _subject_items(organization, subject=subject, since=since,
                           evaluator_id=evaluator_id, attribute_key=attribute_key)
    return sorted(set(items.values_list("dispute__evaluation_id", flat=True)))
