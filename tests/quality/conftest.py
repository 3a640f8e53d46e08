"""The quality tests' world: a tenant with a QA analyst, a coach of a team of two agents, an
agent of another team, another tenant; and factories for scorecards and interactions."""

from dataclasses import dataclass
from datetime import UTC as utc
from datetime import datetime, timedelta

import pytest
from django_scopes import scopes_disabled

from quality.enums import AnswerType
from quality.models import Attribute, Scorecard
from tests.factories import Tenant, World, make_world
from work.enums import WorkKind, WorkState
from work.models import Transcript, WorkItem

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=utc)  # a Monday

# The six behaviours of the demo scorecard, as (key, section, name, weight, critical, auto).
SIX = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling", "thanks for contacting"],
      "within_first_turns": 2}),
    ("empathy", "Conversation", "Empathy", 20, False,
     {"rule": "agent_says", "phrases": ["sorry", "understand"]}),
    ("compliance", "Compliance", "Compliance", 20, True,
     {"rule": "agent_never_says", "phrases": ["guarantee", "your password is"]}),
    ("product-knowledge", "Conversation", "Product knowledge", 20, False, None),
    ("communication", "Conversation", "Communication", 15, False,
     {"rule": "handle_time_at_most", "seconds": 600}),
    ("etiquette", "Closing", "Etiquette", 15, False,
     {"rule": "agent_says", "phrases": ["anything else"], "within_last_turns": 3}),
]


def make_scorecard(org, *, name="Customer care", key="customer-care", default=True,
                   attributes=SIX, version=1, queue="") -> Scorecard:
    """A current scorecard with yes/no attributes ``(key, section, name, weight, critical,
    auto)``; a 6th tuple item ``("scale", N)`` makes a scale attribute."""
    with scopes_disabled():
        card = Scorecard.objects.create(organization=org, key=key, name=name, version=version,
                                        is_default=default, queue=queue)
        for position, spec in enumerate(attributes):
            attr_key, section, attr_name, weight, critical, auto = spec[:6]
            answer = spec[6] if len(spec) > 6 else None
            Attribute.objects.create(
                organization=org, scorecard=card, key=attr_key, section=section,
                name=attr_name, position=position, weight=weight, critical=critical, auto=auto,
                answer_type=AnswerType.SCALE if answer else AnswerType.YES_NO,
                scale_max=answer[1] if answer else None,
            )
    return card


def make_interaction(org, *, agent, external_id, turns=(), kind=WorkKind.CHAT,
                     opened_at=T0, queue="", handle_time=None, team=None) -> WorkItem:
    """A resolved interaction of ``agent`` with a transcript of ``(speaker, text)`` turns."""
    with scopes_disabled():
        item = WorkItem.objects.create(
            organization=org, kind=kind, external_id=external_id, state=WorkState.RESOLVED,
            assigned_to=agent, resolved_by=agent, opened_at=opened_at, queue=queue,
            resolved_at=opened_at + timedelta(minutes=10), handle_time_seconds=handle_time,
            team=team,
        )
        if turns:
            Transcript.objects.create(
                organization=org, work_item=item, turn_count=len(turns),
                turns=[{"speaker": s, "text": t, "at": 10 * i} for i, (s, t) in enumerate(turns)],
            )
    return item


@dataclass(kw_only=True)
class QualityWorld(World):
    qa: object = None


@pytest.fixture
def world(db) -> QualityWorld:
    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada", coach="carl",
        agent="alice", agent2="bob", agent3="dora", coach2="cleo", outsider="olga",
        team="Care", team2="Billing", other_team="Elsewhere",
        staff={"qa": (["qa_analyst"], "quinn")},
    )
    return QualityWorld(**base.as_kwargs(), qa=base.staff["qa"])


# --- agent accept & dispute --------------------------------------------------------------


def turn_disputes_on(org, *, max_rounds=2, window_days=7, sla_hours=48, arbitrator=None):
    """The tenant's "Agent accept & dispute" on, through the settings service."""
    from quality.services.settings import update_dispute_settings

    with scopes_disabled():
        update_dispute_settings(organization=org, enabled=True, max_rounds=max_rounds,
                                window_days=window_days, sla_hours=sla_hours,
                                arbitrator=arbitrator)


def released_audit(world, *, agent=None, evaluator=None, external_id="CHAT-D1",
                   answers=None, card=None):
    """An audit of ``agent``'s interaction (alice by default) by ``evaluator`` (the QA
    analyst), submitted and released through the audit services: with disputes on, it is
    pending the agent's review. Default answers: every attribute yes except empathy no."""
    from quality.services.answers import AnswerInput
    from quality.services.audits import start_audit, submit_audit

    org = world.tenant.org
    agent = agent or world.agent
    evaluator = evaluator or world.qa
    with scopes_disabled():
        card = card or Scorecard.objects.filter(organization=org, is_current=True,
                                                is_default=True).first() \
            or make_scorecard(org)
        item = make_interaction(org, agent=agent, external_id=external_id,
                                turns=[("agent", "Hello"), ("customer", "Hi")])
        given = answers or {a.key: ("no" if a.key == "empathy" else "yes")
                            for a in card.attributes.all()}
        evaluation = start_audit(interaction=item, evaluator=evaluator)
        return submit_audit(
            evaluation=evaluation, actor=evaluator,
            answers=[AnswerInput(attribute_key=k, answer=v) for k, v in given.items()],
        )


# --- calibration -------------------------------------------------------------------------


def calibration_session(world, items, *, card=None, evaluators=None, name="Calibration",
                        days=7):
    """A calibration session over ``items`` (interactions) led by the QA analyst, opened
    through the service; evaluators default to the QA analyst and the org admin."""
    from django.utils import timezone

    from quality.services.calibration import Pick, create_session

    with scopes_disabled():
        return create_session(
            organization=world.tenant.org, actor=world.qa, name=name,
            deadline=timezone.now() + timedelta(days=days),
            evaluators=evaluators or [world.qa, world.admin],
            picks=[Pick(item) for item in items], scorecard=card,
        )


def calibration_item(world, item, *, card=None):
    """The calibration item of ``item`` in a new one-interaction session."""
    with scopes_disabled():
        return calibration_session(world, [item], card=card).items.get()
