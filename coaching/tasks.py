"""Thin Celery tasks for coaching; the work is in services.

Each beat entry fans out one per-tenant task per organization (``…_for``).
"""

from celery import shared_task

from opportunities.services import prune_match_log
from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from . import services


@shared_task(base=TenantTask, name="coaching.expire_overdue_assessments_for")
def expire_overdue_assessments_for(*, organization: Organization) -> int:
    """Close as incomplete the organization's open assessments past their due date."""
    return services.expire_overdue_assessments(organization=organization)


@shared_task(name="coaching.expire_overdue_assessments")
def expire_overdue_assessments() -> int:
    """Beat: one expiry task per organization."""
    return for_each_organization(expire_overdue_assessments_for)


@shared_task(base=TenantTask, name="coaching.prune_match_logs_for")
def prune_match_logs_for(*, organization: Organization) -> int:
    return prune_match_log(organization=organization)


@shared_task(name="coaching.prune_match_logs")
def prune_match_logs() -> int:
    """Beat: one match-log pruning task per organization."""
    return for_each_organization(prune_match_logs_for)


__all__ = [
    "expire_overdue_assessments", "expire_overdue_assessments_for", "prune_match_logs",
    "prune_match_logs_for",
]


# --- coaching assignments: the follow-up reminder (issue 15) ---------------------------


@shared_task(base=TenantTask, name="coaching.send_assignment_reminders_for")
def send_assignment_reminders_for(*, organization: Organization) -> int:
    from .services.assignments import send_follow_up_reminders

    return send_follow_up_reminders(organization=organization)


@shared_task(name="coaching.send_assignment_reminders")
def send_assignment_reminders() -> int:
    """Beat: one reminder task per organization (each assignment is reminded once)."""
    return for_each_organization(send_assignment_reminders_for)


__all__ += ["send_assignment_reminders", "send_assignment_reminders_for"]


# --- behaviour coaching plans: the decision at the target date (issue 18) --------------


@shared_task(base=TenantTask, name="coaching.evaluate_due_plans_for")
def evaluate_due_plans_for(*, organization: Organization) -> int:
    from .services.plans import evaluate_due_plans as evaluate

    return evaluate(organization=organization)


@shared_task(name="coaching.evaluate_due_plans")
def evaluate_due_plans() -> int:
    """Beat: one task per organization deciding its plans past their target date."""
    return for_each_organization(evaluate_due_plans_for)


__all__ += ["evaluate_due_plans", "evaluate_due_plans_for"]


# --- the coaching backlog: each coach's weekly digest of overdue items (issue 20) ------


@shared_task(base=TenantTask, name="coaching.send_backlog_digests_for")
def send_backlog_digests_for(*, organization: Organization) -> int:
    from .services.backlog import send_backlog_digests

    return send_backlog_digests(organization=organization)


@shared_task(name="coaching.send_backlog_digests")
def send_backlog_digests() -> int:
    """Beat (hourly): one digest task per organization; each week is claimed once."""
    return for_each_organization(send_backlog_digests_for)


__all__ += ["send_backlog_digests", "send_backlog_digests_for"]
