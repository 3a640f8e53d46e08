"""The dispute API: an audit's review read through ``GET /api/v1/evaluations/{id}`` (every
round, constant queries), and the agent's ``POST …/acknowledge`` and ``POST …/disputes``
with their personal token — exact states and bodies, and every refusal changing nothing
(after the window, past the round limit, a non-disputable attribute, someone else's
evaluation, an organization token)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from ninja.responses import NinjaJSONEncoder

from quality.enums import ReviewState
from quality.models import Attribute, Dispute, Evaluation
from quality.services.disputes import Decision, decide_dispute, raise_dispute
from quality.services.disputes import DisputedAttribute as Contested
from quality.services.settings import update_dispute_settings
from tenancy.services import create_api_token
from tests.work.conftest import ApiClient

from .conftest import make_scorecard, released_audit, turn_disputes_on

pytestmark = pytest.mark.django_db

ONLY_THE_AGENT = ("Only the agent whose work was audited answers its review, with their own "
                  "personal API token (My profile → API tokens).")
NOT_FOUND = {"detail": "No evaluation with this id in your organization."}


@pytest.fixture
def card(world):
    return make_scorecard(world.tenant.org)


def _api(client, world, user=None) -> ApiClient:
    """An API client with an organization token, or ``user``'s personal token."""
    with scopes_disabled():
        _token, raw = create_api_token(organization=world.tenant.org, name="t", user=user)
    return ApiClient(client=client, token=raw)


def _iso(moment) -> str | None:
    """A datetime as the API writes it."""
    return json.loads(json.dumps(moment, cls=NinjaJSONEncoder))


def _fresh(evaluation) -> Evaluation:
    with scopes_disabled():
        return Evaluation.objects.get(pk=evaluation.pk)


def _state(evaluation) -> tuple:
    evaluation = _fresh(evaluation)
    with scopes_disabled():
        disputes = Dispute.objects.filter(evaluation=evaluation).count()
    return evaluation.review_state, evaluation.review_rounds, evaluation.total, disputes


def _review(evaluation) -> dict:
    """The ``review`` part the API should answer for ``evaluation``, from the database."""
    evaluation = _fresh(evaluation)
    with scopes_disabled():
        disputes = list(Dispute.objects.filter(evaluation=evaluation)
                        .select_related("reviewer").prefetch_related("items__attribute"))
        return {
            "state": evaluation.review_state,
            "state_label": evaluation.get_review_state_display(),
            "rounds": evaluation.review_rounds, "due_at": _iso(evaluation.review_due_at),
            "reviewed_at": _iso(evaluation.reviewed_at),
            "disputes": [{
                "round": d.round, "raised_at": _iso(d.raised_at),
                "reviewer": d.reviewer.username, "due_at": _iso(d.due_at),
                "decided_at": _iso(d.decided_at), "total_before": d.total_before,
                "total_after": d.total_after,
                "items": [{"attribute_key": i.attribute.key,
                           "attribute_name": i.attribute.name, "reason": i.reason,
                           "proposed": i.proposed, "original": i.original,
                           "decision": i.decision, "decided": i.decided,
                           "comment": i.comment} for i in d.items.all()],
            } for d in disputes],
        }


# --- reading the review -------------------------------------------------------------------


def test_get_evaluation_shows_every_dispute_round_to_the_agent(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        first = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            Contested("empathy", "I apologised in turn 3.", "yes")])
        decide_dispute(dispute=first, reviewer=world.qa, decisions=[
            Decision("empathy", "changed", "Right: turn 3 is an apology.", "yes")])

    body = _api(client, world, world.agent).get(f"evaluations/{evaluation.pk}").json()

    assert (body["id"], body["agent"], body["total"]) == (evaluation.pk, "alice", 100.0)
    assert body["review"] == _review(evaluation)
    assert body["review"]["state"] == "re_evaluated"
    assert body["review"]["state_label"] == "Re-evaluated"
    assert body["review"]["rounds"] == 1
    assert [(d["round"], d["reviewer"], d["total_before"], d["total_after"])
            for d in body["review"]["disputes"]] == [(1, "quinn", 80.0, 100.0)]
    assert body["review"]["disputes"][0]["items"] == [{
        "attribute_key": "empathy", "attribute_name": "Empathy",
        "reason": "I apologised in turn 3.", "proposed": "Yes", "original": "No",
        "decision": "changed", "decided": "Yes", "comment": "Right: turn 3 is an apology."}]


def test_get_evaluation_reads_the_review_in_constant_queries(world, card, client,
                                                              django_assert_num_queries):
    turn_disputes_on(world.tenant.org, max_rounds=3)
    one = released_audit(world, external_id="CHAT-1")
    three = released_audit(world, external_id="CHAT-3")
    with scopes_disabled():
        for evaluation, rounds in ((one, 1), (three, 3)):
            for _ in range(rounds):
                dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
                    Contested("empathy", "Listen again."), Contested("greeting", "I did.")])
                decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
                    Decision("empathy", "upheld", "No."), Decision("greeting", "upheld", "No.")])
    api = _api(client, world)
    api.get(f"evaluations/{one.pk}")  # warm the caches a first request fills

    with django_assert_num_queries(7) as few:  # the 7th records the read (access log)
        assert api.get(f"evaluations/{one.pk}").status_code == 200
    with django_assert_num_queries(len(few.captured_queries)):
        body = api.get(f"evaluations/{three.pk}").json()
    assert [d["round"] for d in body["review"]["disputes"]] == [1, 2, 3]


def test_an_evaluation_not_under_review_has_an_empty_review(world, card, client):
    evaluation = released_audit(world)  # disputes off

    body = _api(client, world, world.agent).get(f"evaluations/{evaluation.pk}").json()

    assert body["review"] == {"state": "", "state_label": "Not under review", "rounds": 0,
                              "due_at": None, "reviewed_at": None, "disputes": []}


# --- the agent answers ----------------------------------------------------------------------


def test_the_agent_acknowledges_with_their_personal_token(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/acknowledge")

    assert response.status_code == 200
    fresh = _fresh(evaluation)
    assert (fresh.review_state, fresh.review_rounds, fresh.total) == (
        ReviewState.ACCEPTED, 0, 80.0)
    assert fresh.reviewed_at is not None
    assert response.json()["review"] == {
        "state": "accepted", "state_label": "Accepted", "rounds": 0,
        "due_at": _iso(fresh.review_due_at), "reviewed_at": _iso(fresh.reviewed_at),
        "disputes": []}
    # Twice: the review is over; nothing changes.
    again = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/acknowledge")
    assert again.status_code == 422
    assert again.json() == {
        "detail": "The review of this audit is over (Accepted).",
        "errors": [{"index": None, "field": "evaluation",
                    "message": "The review of this audit is over (Accepted)."}]}
    assert _fresh(evaluation).reviewed_at == fresh.reviewed_at


def test_the_agent_disputes_through_the_api(world, card, client):
    turn_disputes_on(world.tenant.org, sla_hours=24)
    evaluation = released_audit(world)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes", {
        "items": [{"attribute_key": "empathy", "reason": "I apologised in turn 3.",
                   "proposed": "yes"},
                  {"attribute_key": "greeting", "reason": "Said hello first."}]})

    assert response.status_code == 201
    assert _state(evaluation) == (ReviewState.PENDING_SUPERVISOR, 1, 80.0, 1)
    with scopes_disabled():
        dispute = Dispute.objects.get(evaluation=evaluation)
    assert (dispute.raised_by, dispute.reviewer, dispute.due_at) == (
        world.agent, world.qa, dispute.raised_at + timedelta(hours=24))
    review = response.json()["review"]
    assert review == _review(evaluation)
    assert (review["state"], review["state_label"], review["rounds"]) == (
        "pending_supervisor", "Pending supervisor review", 1)
    assert review["disputes"][0]["decided_at"] is None
    assert review["disputes"][0]["items"] == [
        {"attribute_key": "greeting", "attribute_name": "Greeting",
         "reason": "Said hello first.", "proposed": "", "original": "Yes", "decision": "",
         "decided": "", "comment": ""},
        {"attribute_key": "empathy", "attribute_name": "Empathy",
         "reason": "I apologised in turn 3.", "proposed": "Yes", "original": "No",
         "decision": "", "decided": "", "comment": ""},
    ]


def test_the_agent_accepts_the_outcome_after_a_decision(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            Contested("empathy", "I apologised.")])
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology.")])

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/acknowledge")

    assert response.status_code == 200
    assert (response.json()["review"]["state"], response.json()["review"]["rounds"]) == (
        "resolved", 1)
    assert _state(evaluation) == (ReviewState.RESOLVED, 1, 80.0, 1)


# --- refusals: nothing changes --------------------------------------------------------------


def _refused(field: str, message: str) -> dict:
    return {"detail": message, "errors": [{"index": None, "field": field, "message": message}]}


def test_disputing_after_the_window_is_a_422(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    closed = timezone.now() - timedelta(minutes=1)
    with scopes_disabled():
        Evaluation.objects.filter(pk=evaluation.pk).update(review_due_at=closed)
    api = _api(client, world, world.agent)

    response = api.post(f"evaluations/{evaluation.pk}/disputes", {
        "items": [{"attribute_key": "empathy", "reason": "I apologised."}]})
    acknowledged = api.post(f"evaluations/{evaluation.pk}/acknowledge")

    message = (f"The review window of this audit closed on "
               f"{timezone.localtime(closed):%Y-%m-%d %H:%M}; its score stands.")
    assert (response.status_code, response.json()) == (422, _refused("evaluation", message))
    assert (acknowledged.status_code, acknowledged.json()) == (
        422, _refused("evaluation", message))
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


def test_disputing_past_the_round_limit_is_a_422(world, card, client):
    turn_disputes_on(world.tenant.org, max_rounds=2)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            Contested("empathy", "I apologised.")])
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology.")])
    # The tenant lowers the limit while the audit waits for the agent again.
    update_dispute_settings(organization=world.tenant.org, enabled=True, max_rounds=1)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes", {
        "items": [{"attribute_key": "empathy", "reason": "Listen again."}]})

    assert (response.status_code, response.json()) == (422, _refused(
        "evaluation", "This audit was disputed 1 times, the most allowed."))
    assert _state(evaluation) == (ReviewState.RE_EVALUATED, 1, 80.0, 1)


def test_disputing_a_resolved_review_is_a_422(world, card, client):
    turn_disputes_on(world.tenant.org, max_rounds=1)
    evaluation = released_audit(world)
    with scopes_disabled():
        dispute = raise_dispute(evaluation=evaluation, agent=world.agent, items=[
            Contested("empathy", "I apologised.")])
        decide_dispute(dispute=dispute, reviewer=world.qa, decisions=[
            Decision("empathy", "upheld", "No apology.")])

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes", {
        "items": [{"attribute_key": "empathy", "reason": "Listen again."}]})

    assert (response.status_code, response.json()) == (422, _refused(
        "evaluation", "The review of this audit is over (Resolved)."))
    assert _state(evaluation) == (ReviewState.RESOLVED, 1, 80.0, 1)


def test_disputing_a_non_disputable_attribute_is_a_422(world, card, client):
    with scopes_disabled():
        Attribute.objects.filter(scorecard=card, key="compliance").update(disputable=False)
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes", {
        "items": [{"attribute_key": "empathy", "reason": "I apologised."},
                  {"attribute_key": "compliance", "reason": "I never said it."}]})

    assert (response.status_code, response.json()) == (422, _refused(
        "compliance", "“Compliance” cannot be disputed."))
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


@pytest.mark.parametrize(("item", "field", "message"), [
    ({"attribute_key": "nope", "reason": "x"}, "nope",
     "“nope” is not an attribute of this audit."),
    ({"attribute_key": "empathy", "reason": "  "}, "empathy", "Say why you dispute “Empathy”."),
    ({"attribute_key": "empathy", "reason": "x", "proposed": 3}, "empathy",
     "“Empathy” is answered yes, no or na; got 3."),
    ({"attribute_key": "empathy", "reason": "x", "proposed": "no"}, "empathy",
     "You propose the answer “No” “Empathy” already has; propose another or none."),
])
def test_bad_dispute_items_are_a_422_naming_the_attribute(world, card, client, item, field,
                                                          message):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes",
                                                     {"items": [item]})

    assert (response.status_code, response.json()) == (422, _refused(field, message))
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"items": []}, "body.payload.items", "List should have at least 1 item after validation, "
                                          "not 0"),
    ({"items": [{"attribute_key": "empathy", "reason": "x", "proposed": "maybe"}]},
     "body.payload.items.0.proposed.literal['yes','no','na']",
     "Input should be 'yes', 'no' or 'na'"),
    ({"items": [{"attribute_key": "empathy", "reason": "x", "colour": "red"}]},
     "body.payload.items.0.colour", "Unknown field."),
])
def test_a_body_off_its_schema_is_a_422_and_changes_nothing(world, card, client, body, field,
                                                            message):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/disputes",
                                                     body)

    assert response.status_code == 422
    assert response.json()["detail"] == "The request is invalid; nothing was done."
    assert {"index": None, "field": field, "message": message} in response.json()["errors"]
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


@pytest.mark.parametrize("action", ["acknowledge", "disputes"])
def test_another_agents_evaluation_is_a_404(world, card, client, action):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)  # alice's
    body = {"items": [{"attribute_key": "empathy", "reason": "Mine?"}]}

    response = _api(client, world, world.agent2).post(f"evaluations/{evaluation.pk}/{action}",
                                                      body)
    read = _api(client, world, world.agent2).get(f"evaluations/{evaluation.pk}")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert (read.status_code, read.json()) == (404, NOT_FOUND)
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


@pytest.mark.parametrize("action", ["acknowledge", "disputes"])
def test_an_organization_token_is_refused_with_403(world, card, client, action):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    body = {"items": [{"attribute_key": "empathy", "reason": "For alice."}]}

    response = _api(client, world).post(f"evaluations/{evaluation.pk}/{action}", body)

    assert (response.status_code, response.json()) == (403, {"detail": ONLY_THE_AGENT})
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


@pytest.mark.parametrize("who", ["coach", "qa", "admin"])
def test_a_supervisors_personal_token_reads_but_does_not_answer(world, card, client, who):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)  # alice's, coached by carl
    api = _api(client, world, getattr(world, who))

    read = api.get(f"evaluations/{evaluation.pk}")
    response = api.post(f"evaluations/{evaluation.pk}/acknowledge")

    assert (read.status_code, read.json()["review"]["state"]) == (200, "pending_agent")
    assert (response.status_code, response.json()) == (403, {"detail": ONLY_THE_AGENT})
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


def test_the_agents_unreleased_audit_is_not_found(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        Evaluation.objects.filter(pk=evaluation.pk).update(state="submitted")

    response = _api(client, world, world.agent).post(f"evaluations/{evaluation.pk}/acknowledge")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_another_tenants_agent_token_finds_nothing(world, card, client):
    turn_disputes_on(world.tenant.org)
    evaluation = released_audit(world)
    with scopes_disabled():
        _token, raw = create_api_token(organization=world.other.org, name="t",
                                       user=world.outsider)
    api = ApiClient(client=client, token=raw)

    response = api.post(f"evaluations/{evaluation.pk}/acknowledge")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert _state(evaluation) == (ReviewState.PENDING_AGENT, 0, 80.0, 0)


def test_the_review_operations_are_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/evaluations/{evaluation_id}/acknowledge",
                 "/api/v1/evaluations/{evaluation_id}/disputes"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"200", "201"} & set(responses)
        assert {"401", "403", "404", "422", "429"} <= set(responses)
        assert "Personal tokens allowed" in schema["paths"][path]["post"]["description"]
    detail = schema["components"]["schemas"]["EvaluationDetailOut"]
    assert "review" in detail["required"]
