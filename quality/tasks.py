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

