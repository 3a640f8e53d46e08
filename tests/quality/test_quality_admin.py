"""The quality app in the tenant-scoped Django admin: scorecards saved through the scorecard
services (versions, refusals as form errors), archived instead of deleted; evaluations,
assignments, agreement and learned scorers read-only; everything scoped to the tenant."""

import pytest
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import (
    AttributeAgreement,
    AuditAssignment,
    BestResponse,
    Evaluation,
    LearnedScorer,
    Scorecard,
)
from quality.services.answers import AnswerInput, save_answers
from quality.services.evaluations import open_evaluation

from .conftest import T0, make_interaction, make_scorecard


@pytest.fixture
def staff(world, client):
    user = world.tenant.member(roles=["org_admin"], username="stella", is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def records(world):
    """One of every quality record in each tenant."""
    made = {}
    for tenant, agent, label in ((world.tenant, world.agent, "A"),
                                 (world.other, None, "B")):
        org = tenant.org
        agent = agent or tenant.member(roles=["agent"], username="zed")
        card = make_scorecard(org, name=f"Card {label}", key=f"card-{label.lower()}")
        item = make_interaction(org, agent=agent, external_id=f"{label}-1")
        with scopes_disabled():
            evaluation = open_evaluation(interaction=item, scorecard=card,
                                         kind=EvaluationKind.MANUAL)
            save_answers(evaluation=evaluation, actor=None,
                         answers=[AnswerInput("greeting", "yes")])
            made[label] = {
                "scorecard": card, "evaluation": evaluation,
                "best": BestResponse.objects.create(
                    organization=org, interaction=item, attribute_key="greeting",
                    attribute_name="Greeting", created_by=agent),
                "assignment": AuditAssignment.objects.create(
                    organization=org, interaction=item, agent=agent, evaluator=agent,
                    week=T0.date()),
                "agreement": AttributeAgreement.objects.create(
                    organization=org, scorecard_key=card.key, attribute_key="greeting",
                    scorer="rule", pairs=3, agreement=1.0, kappa=1.0),
                "learned": LearnedScorer.objects.create(
                    organization=org, scorecard_key=card.key, attribute_key="greeting",
                    model=b""),
            }
    return made


MODELS = {"scorecard": Scorecard, "evaluation": Evaluation, "best": BestResponse,
          "assignment": AuditAssignment, "agreement": AttributeAgreement,
          "learned": LearnedScorer}


def _url(model, suffix=""):
    return f"/admin/quality/{model._meta.model_name}/{suffix}"


@pytest.mark.parametrize("name", list(MODELS))
def test_admin_pages_open_for_an_org_admin_and_are_tenant_scoped(
        staff, records, client, name):
    model = MODELS[name]
    changelist = client.get(_url(model))
    assert changelist.status_code == 200
    shown = {obj.pk for obj in changelist.context["cl"].result_list}
    assert shown == {records["A"][name].pk}
    assert client.get(_url(model, f"{records['A'][name].pk}/change/")).status_code == 200
    # Another tenant's row is not there (the admin redirects "does not exist" to its index).
    other = client.get(_url(model, f"{records['B'][name].pk}/change/"))
    assert other.status_code == 302


@pytest.mark.parametrize("name", ["evaluation", "assignment", "agreement", "learned"])
def test_records_are_read_only(staff, records, client, name):
    model = MODELS[name]
    row = records["A"][name]
    assert client.get(_url(model, "add/")).status_code == 403
    assert client.post(_url(model, f"{row.pk}/change/"), {}).status_code == 403
    assert client.post(_url(model, f"{row.pk}/delete/"), {"post": "yes"}).status_code == 403
    with scopes_disabled():
        assert model.objects.filter(pk=row.pk).exists()


def test_evaluation_page_shows_answers_and_history(staff, records, client):
    evaluation = records["A"]["evaluation"]
    response = client.get(_url(Evaluation, f"{evaluation.pk}/change/"))
    inlines = {inline.opts.model.__name__: inline
               for inline in response.context["inline_admin_formsets"]}
    with scopes_disabled():
        answers = [(f.original.attribute.name, f.original.value)
                   for f in inlines["Answer"]]
        changes = [(f.original.action, f.original.attribute, f.original.after)
                   for f in inlines["EvaluationChange"]]
        stored = list(evaluation.changes.order_by("at", "id")
                      .values_list("action", "attribute", "after"))
    assert answers == [("Greeting", 1)]
    assert changes == stored
    assert ("Greeting", "Yes") in [(attribute, after) for _, attribute, after in changes]


def test_best_response_is_removed_through_the_service(staff, records, client):
    best = records["A"]["best"]
    response = client.post(_url(BestResponse, f"{best.pk}/delete/"), {"post": "yes"})
    assert response.status_code == 302
    with scopes_disabled():
        assert not BestResponse.objects.filter(pk=best.pk).exists()
        assert BestResponse.objects.filter(pk=records["B"]["best"].pk).exists()


def _scorecard_post(name="Sales", *, attributes, default=False, queue="", initial=0):
    data = {"name": name, "description": "", "queue": queue,
            "attributes-TOTAL_FORMS": str(len(attributes)),
            "attributes-INITIAL_FORMS": str(initial),
            "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "1000"}
    if default:
        data["is_default"] = "on"
    for i, row in enumerate(attributes):
        base = {"name": "", "section": "", "answer_type": "yes_no", "scale_max": "",
                "weight": "1", "na_allowed": "on", "disputable": "on", "guidance": "",
                "auto": "null"}
        for field, value in {**base, **row}.items():
            if value is not None:
                data[f"attributes-{i}-{field}"] = value
    return data


def test_scorecard_added_through_the_admin_is_saved_by_the_service(world, staff, client):
    make_scorecard(world.tenant.org)
    response = client.post(_url(Scorecard, "add/"), _scorecard_post(default=True, attributes=[
        {"name": " Pitch ", "weight": "3",
         "auto": '{"phrases": ["offer"], "rule": "agent_says"}'},
        {"name": "Legal", "answer_type": "scale", "scale_max": "4", "critical": "on"},
    ]))
    assert response.status_code == 302
    with scopes_disabled():
        card = Scorecard.objects.get(organization=world.tenant.org, key="sales")
        assert (card.version, card.is_default, card.created_by) == (1, True, staff)
        assert list(card.attributes.values_list("key", "name", "scale_max", "auto")) == [
            ("pitch", "Pitch", None, {"rule": "agent_says", "phrases": ["offer"]}),
            ("legal", "Legal", 4, None)]
        assert list(Scorecard.objects.filter(organization=world.tenant.org, is_default=True)
                    .values_list("key", flat=True)) == ["sales"]


def test_scorecard_the_service_refuses_shows_its_message_and_saves_nothing(
        world, staff, client):
    response = client.post(_url(Scorecard, "add/"), _scorecard_post(attributes=[
        {"name": "Pitch", "weight": "0"},
        {"name": "Tone", "weight": "0", "auto": '{"rule": "agent_says", "phrases": []}'},
    ]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"__all__": [
        "Attribute 2 (“Tone”): auto: rule “agent_says”: “phrases” must be a non-empty "
        "list of texts."]}
    with scopes_disabled():
        assert not Scorecard.objects.filter(organization=world.tenant.org).exists()


def test_scorecard_edited_in_the_admin_with_evaluations_becomes_version_two(
        world, staff, records, client):
    card = records["A"]["scorecard"]
    with scopes_disabled():
        attributes = list(card.attributes.all())
    rows = [{"id": str(a.pk), "scorecard": str(card.pk), "name": a.name, "section": a.section,
             "weight": str(a.weight), "critical": "on" if a.critical else None,
             "auto": "null"} for a in attributes]
    rows[0]["name"] = "Warm greeting"
    response = client.post(_url(Scorecard, f"{card.pk}/change/"),
                           _scorecard_post("Card A", attributes=rows, default=True,
                                           initial=len(rows)))
    assert response.status_code == 302
    with scopes_disabled():
        versions = list(Scorecard.objects.filter(organization=world.tenant.org, key="card-a")
                        .order_by("version").values_list("version", "is_current"))
        assert versions == [(1, False), (2, True)]
        v2 = Scorecard.objects.get(organization=world.tenant.org, key="card-a", version=2)
        assert list(v2.attributes.values_list("key", "name", "auto"))[0] == (
            "greeting", "Warm greeting", None)
        assert records["A"]["evaluation"].scorecard_id == card.pk


def test_scorecards_are_archived_not_deleted(world, staff, records, client):
    card = records["A"]["scorecard"]
    assert client.post(_url(Scorecard, f"{card.pk}/delete/"), {"post": "yes"}).status_code \
        == 403
    response = client.post(_url(Scorecard), {
        "action": "archive_selected", "_selected_action": [str(card.pk),
                                                           str(records["B"]["scorecard"].pk)]})
    assert response.status_code == 302
    with scopes_disabled():
        assert list(Scorecard.objects.filter(pk__in=[card.pk, records["B"]["scorecard"].pk])
                    .order_by("key").values_list("key", "is_current")) == [
            ("card-a", False), ("card-b", True)]
