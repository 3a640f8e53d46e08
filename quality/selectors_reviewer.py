"""Reads of the reviewers' side of agent disputes: which dispute rounds a user may see, the
queue of open rounds (overdue first), the recently decided ones, and a round's age against
its service level.

A dispute round is visible to its reviewer, to QA analysts and org admins (every round), to
the audit's evaluator and to the coaches of the agent's teams; deciding it is
:func:`quality.services.disputes.may_decide`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from tenancy.models import Organization, User
from tenancy.selectors import coachable_agents

from .models import Dispute
from .selectors import sees_all_audits

QUEUE_PAGE = 25
MINE, ALL = "mine", "all"


def visible_disputes(organization: Organization, user: User) -> QuerySet[Dispute]:
    """Dispute rounds ``user`` may open as a reviewer (404 for the others), with what the
    queue and the decision page show."""
    base = (Dispute.objects.filter(organization=organization)
            .select_related("evaluation__interaction", "evaluation__agent",
                            "evaluation__evaluator", "evaluation__scorecard", "reviewer",
                            "decided_by", "raised_by"))
    if sees_all_audits(organization, user):
        return base
    return base.filter(Q(reviewer=user) | Q(evaluation__evaluator=user)
                       | Q(evaluation__agent__in=coachable_agents(organization, user)))


def queue_scopes(organization: Organization, user: User) -> tuple[str, ...]:
    """The filters the queue offers ``user``: "mine" for everyone who reviews, "all" too for
    QA analysts and org admins (their default)."""
    return (ALL, MINE) if sees_all_audits(organization, user) else (MINE,)


def _scoped(organization: Organization, user: User, scope: str) -> QuerySet[Dispute]:
    disputes = visible_disputes(organization, user)
    if scope != ALL or not sees_all_audits(organization, user):
        disputes = disputes.filter(reviewer=user)
    return disputes


def open_disputes(organization: Organization, user: User, *, scope: str = MINE,
                  now: datetime | None = None) -> QuerySet[Dispute]:
    """Undecided rounds, overdue first, then the oldest raised first; each with its
    contested items (one prefetch query, so a page costs the same whatever its size)."""
    now = now or timezone.now()
    return (_scoped(organization, user, scope).filter(decided_at__isnull=True)
            .annotate(overdue=Case(When(due_at__lte=now, then=Value(True)),
                                   default=Value(False), output_field=BooleanField()))
            .prefetch_related("items__attribute")
            .order_by("-overdue", "raised_at", "pk"))


def decided_disputes(organization: Organization, user: User, *,
                     scope: str = MINE) -> QuerySet[Dispute]:
    """Decided rounds, the latest decision first ("mine": those I review or decided)."""
    disputes = visible_disputes(organization, user).filter(decided_at__isnull=False)
    if scope != ALL or not sees_all_audits(organization, user):
        disputes = disputes.filter(Q(reviewer=user) | Q(decided_by=user))
    return disputes.prefetch_related("items__attribute").order_by("-decided_at", "-pk")


@dataclass(frozen=True)
class SlaAge:
    """A round's time against its service level: ``label`` ("3 h left", "overdue by 5 h"),
    and whether it is overdue."""

    label: str
    overdue: bool


def _duration(seconds: float) -> str:
    hours = int(seconds // 3600)
    if hours < 1:
        return f"{max(int(seconds // 60), 1)} min"
    if hours < 48:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} d {rest} h" if rest else f"{days} d"


def sla_age(dispute: Dispute, now: datetime | None = None) -> SlaAge:
    now = now or timezone.now()
    if dispute.decided_at is not None:
        late = (dispute.decided_at - dispute.due_at).total_seconds()
        return SlaAge(f"decided {_duration(late)} late" if late > 0 else "decided in time",
                      late > 0)
    left = (dispute.due_at - now).total_seconds()
    if left <= 0:
        return SlaAge(f"overdue by {_duration(-left)}", True)
    return SlaAge(f"{_duration(left)} left", False)
