"""Dispute rounds (with their items) and calibration candidates in the tenant-scoped Django
admin: shown to the tenant's staff only, never added, changed or deleted there."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import CalibrationSubject, EvaluationKind
from quality.models import CalibrationCandidate, Dispute, DisputeItem
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation

from .conftest import make_interaction, make_scorecard

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(world, client):
    user = world.tenant.member(roles=["org_admin"], username="stella", is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def records(world):
    """A decided dispute round with one item, and a calibration candidate, per tenant."""
    made = {}
    for tenant, agent, label in ((world.tenant, world.agent, "A"), (world.other, None, "B")):
        org = tenant.org
        agent = agent or tenant.member(roles=["agent"], username="zed")
        card = make_scorecard(org, name=f"Card {label}", key=f"card-{label.lower()}")
        item = make_interaction(org, agent=agent, external_id=f"{label}-1")
        now = timezone.now()
        with scopes_disabled():
            evaluation = open_evaluation(interaction=item, scorecard=card,
                                         kind=EvaluationKind.MANUAL)
            save_answers(evaluation=evaluation, actor=None,
                         answers=[AnswerInput("empathy", "no")])
            dispute = Dispute.objects.create(
                organization=org, evaluation=evaluation, round=1, raised_by=agent,
                raised_at=now - timedelta(hours=3), reviewer=agent,
                due_at=now + timedelta(hours=45), decided_by=agent, decided_at=now,
                total_before=80.0, total_after=100.0)
            DisputeItem.objects.create(
                organization=org, dispute=dispute,
                attribute=card.attributes.get(key="empathy"), reason=f"Reason {label}",
                proposed_value=1, original="No", decision="changed", decided="Yes",
                comment=f"Comment {label}")
            candidate = CalibrationCandidate.objects.create(
                organization=org, subject=CalibrationSubject.ATTRIBUTE,
                attribute_key="empathy", attribute_name="Empathy", reason="3 of 4 changed")
            candidate.evaluations.add(evaluation)
        made[label] = {"dispute": dispute, "candidate": candidate}
    return made


MODELS = {"dispute": Dispute, "candidate": CalibrationCandidate}


def _url(model, suffix=""):
    return f"/admin/quality/{model._meta.model_name}/{suffix}"


@pytest.mark.parametrize("name", list(MODELS))
def test_dispute_admin_pages_open_and_are_tenant_scoped(staff, records, client, name):
    model = MODELS[name]
    changelist = client.get(_url(model))
    assert changelist.status_code == 200
    assert {obj.pk for obj in changelist.context["cl"].result_list} == {records["A"][name].pk}
    assert client.get(_url(model, f"{records['A'][name].pk}/change/")).status_code == 200
    assert client.get(_url(model, f"{records['B'][name].pk}/change/")).status_code == 302


@pytest.mark.parametrize("name", list(MODELS))
def test_dispute_records_are_read_only(staff, records, client, name):
    model = MODELS[name]
    row = records["A"][name]
    assert client.get(_url(model, "add/")).status_code == 403
    assert client.post(_url(model, f"{row.pk}/change/"), {}).status_code == 403
    assert client.post(_url(model, f"{row.pk}/delete/"), {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert model.objects.filter(pk=row.pk).exists()


def test_dispute_page_shows_its_items(staff, records, client):
    dispute = records["A"]["dispute"]
    response = client.get(_url(Dispute, f"{dispute.pk}/change/"))
    inlines = {inline.opts.model.__name__: inline
               for inline in response.context["inline_admin_formsets"]}
    with scopes_disabled():
        items = [(f.original.attribute.name, f.original.reason, f.original.proposed,
                  f.original.decision, f.original.decided, f.original.comment)
                 for f in inlines["DisputeItem"]]
    assert items == [("Empathy", "Reason A", "Yes", "changed", "Yes", "Comment A")]
    assert "Reason B" not in response.content.decode()
