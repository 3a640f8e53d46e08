"""The world of the coaching-from-quality tests: tenant ``acme`` with a QA analyst (quinn),
a coach (carl) of team Care (alice, bob), dora in team Billing (coached by cleo), an org
admin (ada), and tenant ``globex`` (olga); audits built through the quality services."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import BestResponse
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation, start_counting
from tests.factories import Tenant, World, make_world
from tests.quality.conftest import make_interaction, make_scorecard

ALL_YES = {"greeting": "yes", "empathy": "yes", "compliance": "yes",
           "product-knowledge": "yes", "communication": "yes", "etiquette": "yes"}


@dataclass(kw_only=True)
class AssignmentWorld(World):
    qa: object = None
    card: object = None
    _n: int = 0

    def audit(self, agent, *, evaluator=None, answers=None, org=None, card=None, queue="Billing"):
        """A submitted manual audit of a new interaction of ``agent``."""
        org = org or self.tenant.org
        card = card or self.card
        self._n += 1
        item = make_interaction(org, agent=agent, external_id=f"CH-{self._n}", queue=queue,
                                turns=[("agent", "Hello, how can I help?"),
                                       ("customer", "My bill is wrong")],
                                opened_at=timezone.now() - timedelta(hours=self._n))
        with scopes_disabled():
            evaluation = open_evaluation(interaction=item, scorecard=card,
                                         kind=EvaluationKind.MANUAL,
                                         evaluator=evaluator or self.qa)
            save_answers(evaluation=evaluation, actor=evaluator or self.qa,
                         require_complete=True,
                         answers=[AnswerInput(k, v) for k, v in (answers or ALL_YES).items()])
            evaluation.submit()
            start_counting(evaluation, actor=evaluator or self.qa, action="submitted")
        return evaluation

    def best_response(self, agent, key="empathy", name="Empathy"):
        evaluation = self.audit(agent)
        with scopes_disabled():
            return BestResponse.objects.create(
                organization=self.tenant.org, interaction=evaluation.interaction,
                attribute_key=key, attribute_name=name, created_by=self.qa)


@pytest.fixture(name="aw")
def aw_fixture(db) -> AssignmentWorld:
    return build_world()


def build_world() -> AssignmentWorld:
    base = make_world(
        tenant=Tenant(slug="acme"), other=Tenant(slug="globex"), admin="ada", coach="carl",
        agent="alice", agent2="bob", agent3="dora", coach2="cleo", outsider="olga",
        team="Care", team2="Billing", other_team="Elsewhere",
        staff={"qa": (["qa_analyst"], "quinn")},
    )
    world = AssignmentWorld(**base.as_kwargs(), qa=base.staff["qa"])
    world.card = make_scorecard(world.tenant.org)
    with scopes_disabled():
        for user in (world.agent, world.agent2, world.agent3):
            user.email = f"{user.username}@example.com"
            user.first_name, user.last_name = user.username.title(), ""
            user.save(update_fields=["email", "first_name", "last_name"])
    return world


def follow_up(days=7):
    return timezone.localdate() + timedelta(days=days)
