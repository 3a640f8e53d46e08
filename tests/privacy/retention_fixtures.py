"""Shared set-up of the retention tests: a world of two tenants, the policy, and rows dated
on both sides of a cutoff."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from privacy.access import deleting_expired_records
from privacy.models import AccessKind, AccessRecord
from privacy.retention import update_retention_policy
from quality.enums import EvaluationKind
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tests.factories import Tenant, World, make_world
from tests.quality.conftest import make_interaction, make_scorecard
from work.enums import WorkKind, WorkState
from work.models import WorkItem

THREE = [
    ("greeting", "Opening", "Greeting", 10, False, None),
    ("empathy", "Conversation", "Empathy", 30, False, None),
    ("knowledge", "Conversation", "Product knowledge", 20, False, None),
]
TURNS = [("agent", "Thank you for calling, Alice speaking"), ("customer", "My card is 4242")]


@dataclass(kw_only=True)
class RetentionWorld(World):
    qa: object = None


@pytest.fixture(name="world")
def retention_world(db) -> RetentionWorld:
    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada", coach="carl",
        agent="alice", agent2="bob", agent3="dora", outsider="olga", team="Care",
        other_team="Elsewhere", staff={"qa": (["qa_analyst"], "quinn")},
    )
    return RetentionWorld(**base.as_kwargs(), qa=base.staff["qa"])


def set_policy(org, **values):
    """Store a policy through the service (every kind forever unless given)."""
    full = {"transcripts_days": None, "evaluations_days": None, "evaluations_mode": "anonymise",
            "access_log_days": None, "work_items_days": None, **values}
    with scopes_disabled():
        update_retention_policy(organization=org, values=full)


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def interaction(org, agent, external_id, *, age_days, turns=TURNS):
    return make_interaction(org, agent=agent, external_id=external_id, turns=turns,
                            opened_at=days_ago(age_days))


def scored(org, card, agent, external_id, *, age_days, answers, comment="", evaluator=None):
    """An audit through the real writer (answers, total, rollups), dated ``age_days`` ago."""
    item = interaction(org, agent, external_id, age_days=age_days)
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card,
                                     kind=EvaluationKind.MANUAL, evaluator=evaluator)
        save_answers(evaluation=evaluation, actor=evaluator, require_complete=True, answers=[
            AnswerInput(key, value, comment=f"{agent.username} on {key}")
            for key, value in answers.items()])
        evaluation.submit()
        if comment:
            evaluation.comment = comment
        evaluation.save()
        start_counting(evaluation, actor=None, action="scored")
    return evaluation


def closed_item(org, external_id, *, closed_days_ago, state=WorkState.CLOSED, agent=None):
    with scopes_disabled():
        return WorkItem.objects.create(
            organization=org, kind=WorkKind.INCIDENT, external_id=external_id,
            number=external_id, state=state, assigned_to=agent,
            opened_at=days_ago(closed_days_ago + 3),
            closed_at=days_ago(closed_days_ago) if state == WorkState.CLOSED else None,
            resolved_at=days_ago(closed_days_ago) if state != WorkState.IN_PROGRESS else None,
            updated_at=days_ago(closed_days_ago),
        )


def access_records(org, viewer, subject, *, ages):
    """One access record per age (days ago), backdated the way only the retention flag
    allows on PostgreSQL."""
    with scopes_disabled():
        records = [AccessRecord.objects.create(
            organization=org, subject=subject, viewer=viewer, viewer_label=str(viewer),
            kind=AccessKind.EVALUATION, object_id=str(i)) for i, _ in enumerate(ages)]
        with deleting_expired_records():
            for record, age in zip(records, ages, strict=True):
                AccessRecord.objects.filter(pk=record.pk).update(viewed_at=days_ago(age))
    return records


__all__ = ["THREE", "make_scorecard"]
