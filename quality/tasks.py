"""Thin Celery tasks of the quality app; the work is in :mod:`quality.services`."""

from celery import shared_task

from tenancy.background import TenantTask, for_each_organization
from tenancy.models import Organization

from .services import agreement, training


@shared_task(base=TenantTask, name="quality.refresh_agreement_for")
def refresh_agreement_for(*, organization: Organization) -> int:
    return len(agreement.refresh_agreement(organization=organization))


@shared_task(name="quality.refresh_agreement")
def refresh_agreement() -> int:
    """Nightly: every tenant's agreement between scorers and audits, from scratch."""
    return for_each_organization(refresh_agreement_for)


@shared_task(base=TenantTask, name="quality.train_learned_scorers_for")
def train_learned_scorers_for(*, organization: Organization) -> int:
    return len(training.train_learned_scorers(organization=organization))


@shared_task(name="quality.train_learned_scorers")
def train_learned_scorers() -> int:
    """Nightly: retrain every tenant's learned scorers that have new audits."""
    return for_each_organization(train_learned_scorers_for)


__all__ = ["refresh_agreement", "refresh_agreement_for", "train_learned_scorers",
           "train_learned_scorers_for"]


# --- audits: releasing delayed audits, the weekly allocation ---------------------------


@shared_task(base=TenantTask, name="quality.release_due_audits_for")
def release_due_audits_for(*, organization: Organization) -> int:
    from .services.audits import release_due_audits as release

    return release(organization=organization)


@shared_task(name="quality.release_due_audits")
def release_due_audits() -> int:
    """Every few minutes: release the submitted audits whose delay has passed."""
    return for_each_organization(release_due_audits_for)


@shared_task(base=TenantTask, name="quality.allocate_audits_for")
def allocate_audits_for(*, organization: Organization) -> int:
    from datetime import timedelta

    from .services.allocation import allocate_week, current_week

    last_week = current_week(organization) - timedelta(days=7)
    return allocate_week(organization=organization, week_start=last_week).assigned


@shared_task(name="quality.allocate_audits")
def allocate_audits() -> int:
    """Daily, safe to repeat: fill the audit queues from last week's interactions (the
    first run of the week allocates; later runs only add late arrivals)."""
    return for_each_organization(allocate_audits_for)


__all__ += ["allocate_audits", "allocate_audits_for", "release_due_audits",
            "release_due_audits_for"]


# --- agent accept & dispute ------------------------------------------------------------


@shared_task(base=TenantTask, name="quality.close_expired_reviews_for")
def close_expired_reviews_for(*, organization: Organization) -> int:
    from .services.disputes import close_expired_reviews

    return close_expired_reviews(organization=organization)


@shared_task(name="quality.close_expired_reviews")
def close_expired_reviews() -> int:
    """Hourly: close the reviews whose agent let the window pass (the score stands)."""
    return for_each_organization(close_expired_reviews_for)


__all__ += ["close_expired_reviews", "close_expired_reviews_for"]


@shared_task(base=TenantTask, name="quality.send_dispute_digests_for")
def send_dispute_digests_for(*, organization: Organization) -> int:
    from .services.dispute_digest import send_overdue_dispute_digests

    return send_overdue_dispute_digests(organization=organization)


@shared_task(name="quality.send_dispute_digests")
def send_dispute_digests() -> int:
    """Hourly: each reviewer's overdue disputes, once a day per tenant (the day is claimed
    in the database, so repeated runs send nothing twice)."""
    return for_each_organization(send_dispute_digests_for)


__all__ += ["send_dispute_digests", "send_dispute_digests_for"]


# --- calibration sessions ----------------------------------------------------------------


@shared_task(base=TenantTask, name="quality.reveal_due_calibrations_for")
def reveal_due_calibrations_for(*, organization: Organization) -> int:
    from .services.calibration import reveal_due_sessions

    return reveal_due_sessions(organization=organization)


@shared_task(name="quality.reveal_due_calibrations")
def reveal_due_calibrations() -> int:
    """Every 15 minutes: reveal the calibration sessions whose deadline passed."""
    return for_each_organization(reveal_due_calibrations_for)


__all__ += ["reveal_due_calibrations", "reveal_due_calibrations_for"]
