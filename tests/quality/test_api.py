"""The quality API: scorecards, evaluations (every field, filters, cursor, verified), an
outside QA system posting an evaluation (success, each refusal, nothing written), and
other tenants' tokens seeing nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.enums import EvaluationKind
from quality.models import (
    AttributeAgreement,
    CalibrationSession,
    Evaluation,
    EvaluationChange,
    ScoreRollup,
)
from quality.services.answers import AnswerInput, save_answers
from quality.services.calibration import reveal
from quality.services.evaluations import open_evaluation, start_counting
from tests.work.conftest import ApiClient, make_token

from .conftest import T0, calibration_item, make_interaction, make_scorecard

CARD = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"], "within_first_turns": 2}),
    ("compliance", "Compliance", "Compliance", 20, True, None),
    ("tone", "Conversation", "Tone", 10, False, None, ("scale", 5)),
]
TURNS = [("agent", "Thank you for calling"), ("customer", "Hi"), ("agent", "Bye")]


@pytest.fixture
def setup(world, client):
    org = world.tenant.org
    card = make_scorecard(org, attributes=CARD)
    make_scorecard(world.other.org, name="Theirs", key="theirs")
    item = make_interaction(org, agent=world.agent, external_id="CHAT-1", turns=TURNS)
    make_interaction(world.other.org, agent=world.outsider, external_id="THEIR-1", turns=TURNS)
    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    return card, item, api


def evaluate(world, card, item, answers, *, kind=EvaluationKind.AUTO, scorer="rule:1",
             evidence=None):
    auto = kind == EvaluationKind.AUTO
    calibration = None
    if kind == EvaluationKind.CALIBRATION:
        calibration = calibration_item(world, item, card=card)
    with scopes_disabled():
        evaluation = open_evaluation(interaction=item, scorecard=card, kind=kind,
                                     evaluator=None if auto else world.qa,
                                     scorer=scorer if auto else "",
                                     calibration_item=calibration)
        save_answers(evaluation=evaluation, actor=None, require_complete=True, answers=[
            AnswerInput(k, v, scorer=scorer if auto else "", evidence=(evidence or {}).get(k, []))
            for k, v in answers.items()])
        evaluation.publish() if auto else evaluation.submit()
        start_counting(evaluation, actor=None, action="scored")
    return evaluation


def test_scorecards_are_listed_in_the_import_shape(world, setup):
    _, _, api = setup
    response = api.get("scorecards")
    assert response.status_code == 200
    assert response.json() == [{
        "name": "Customer care", "default": True, "queue": "", "version": 1, "description": "",
        "attributes": [
            {"name": "Greeting", "section": "Opening", "answer": "yes_no", "weight": 10,
             "critical": False, "na_allowed": True, "disputable": True, "guidance": "",
             "auto": {"rule": "agent_says", "phrases": ["thank you for calling"],
                      "within_first_turns": 2}},
            {"name": "Compliance", "section": "Compliance", "answer": "yes_no", "weight": 20,
             "critical": True, "na_allowed": True, "disputable": True, "guidance": "",
             "auto": None},
            {"name": "Tone", "section": "Conversation", "answer": "scale:5", "weight": 10,
             "critical": False, "na_allowed": True, "disputable": True, "guidance": "",
             "auto": None},
        ],
    }]


def test_an_evaluation_has_every_field_and_verified_per_scorer(world, setup):
    card, item, api = setup
    with scopes_disabled():
        AttributeAgreement.objects.create(
            organization=world.tenant.org, scorecard_key="customer-care",
            attribute_key="greeting", scorer="rule:1", pairs=40, kappa=0.8, verified=True)
        item.sentiment = 0.25
        item.save(update_fields=["sentiment"])
    auto = evaluate(world, card, item, {"greeting": "yes", "compliance": "yes", "tone": 4},
                    evidence={"greeting": [0]})
    with scopes_disabled():
        Evaluation.objects.filter(pk=auto.pk).update(sentiment=0.25)
    body = api.get(f"evaluations/{auto.pk}").json()
    assert body == {
        "id": auto.pk, "interaction": "CHAT-1", "agent": "alice", "kind": "auto",
        "state": "released", "scorecard": "Customer care", "version": 1,
        "total": pytest.approx(round(100 * (10 + 20 + 10 * 4 / 5) / 40, 2)),
        "critical_failed": False, "sentiment": 0.25, "evaluator": None, "scorer": "rule:1",
        "comment": "", "interaction_at": "2026-11-02T09:00:00Z",
        "submitted_at": body["submitted_at"], "released_at": body["released_at"],
        "answers": [
            {"attribute": "Greeting", "answer": "yes", "evidence": [0], "comment": "",
             "verified": True},
            {"attribute": "Compliance", "answer": "yes", "evidence": [], "comment": "",
             "verified": False},
            {"attribute": "Tone", "answer": 4, "evidence": [], "comment": "",
             "verified": False},
        ],
        "review": {"state": "", "state_label": "Not under review", "rounds": 0,
                   "due_at": None, "reviewed_at": None, "disputes": []},
    }
    assert body["submitted_at"] is not None and body["released_at"] is not None
    manual = evaluate(world, card, item, {"greeting": "no", "compliance": "no", "tone": "na"},
                      kind=EvaluationKind.MANUAL)
    body = api.get(f"evaluations/{manual.pk}").json()
    assert (body["kind"], body["state"], body["total"], body["evaluator"]) == (
        "manual", "submitted", 0.0, "quinn")
    assert [(a["answer"], a["verified"]) for a in body["answers"]] == [
        ("no", True), ("no", True), ("na", True)]


def test_filters_and_calibration_only_on_request(world, setup):
    card, item, api = setup
    other = make_interaction(world.tenant.org, agent=world.agent2, external_id="CHAT-2",
                             turns=TURNS, opened_at=T0 + timedelta(hours=1))
    yes = {"greeting": "yes", "compliance": "yes", "tone": 5}
    auto = evaluate(world, card, item, yes)
    manual = evaluate(world, card, item, yes, kind=EvaluationKind.MANUAL)
    calibration = evaluate(world, card, item, yes, kind=EvaluationKind.CALIBRATION)
    auto2 = evaluate(world, card, other, yes)

    def ids(**params):
        response = api.get("evaluations", params)
        assert response.status_code == 200
        return [e["id"] for e in response.json()["items"]]

    assert ids() == [auto2.pk, manual.pk, auto.pk]
    assert ids(interaction="CHAT-1") == [manual.pk, auto.pk]
    assert ids(interaction="CHAT-1", kind="auto") == [auto.pk]
    assert ids(kind="manual") == [manual.pk]
    assert ids(kind="calibration") == []  # blind: its session is still scoring
    assert api.get(f"evaluations/{calibration.pk}").status_code == 404
    assert ids(agent="bob") == [auto2.pk]
    assert ids(interaction="NOPE") == []
    with scopes_disabled():  # the deadline passes: the scores are revealed
        session = calibration.calibration_item.session
        CalibrationSession.objects.filter(pk=session.pk).update(
            deadline=timezone.now() - timedelta(minutes=1))
        reveal(session=session, actor=None)
    assert ids(kind="calibration") == [calibration.pk]
    assert ids() == [auto2.pk, manual.pk, auto.pk]


def test_cursor_pages_through_every_evaluation_once(world, setup):
    card, item, api = setup
    made = [evaluate(world, card, item, {"greeting": "yes", "compliance": "yes", "tone": 1},
                     kind=EvaluationKind.MANUAL).pk for _ in range(5)]
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("evaluations", params).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(made, reverse=True) and cursor is None
    response = api.get("evaluations", {"cursor": "not-ours"})
    assert response.status_code == 400
    assert response.json() == {"detail": "The cursor is not one this API returned."}


def test_post_creates_a_released_audit_with_rollups(world, setup):
    card, item, api = setup
    response = api.post("evaluations", {
        "interaction": "CHAT-1", "evaluator": "quinn", "comment": "Good call", "release": True,
        "answers": [
            {"attribute": "Greeting", "answer": "yes", "evidence": [0], "comment": "warm"},
            {"attribute": "Compliance", "answer": "yes"},
            {"attribute": "Tone", "answer": 3},
        ],
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["interaction"], body["agent"], body["kind"], body["state"], body["evaluator"],
            body["scorecard"], body["version"], body["comment"]) == (
        "CHAT-1", "alice", "manual", "released", "quinn", "Customer care", 1, "Good call")
    assert body["total"] == pytest.approx(round(100 * (10 + 20 + 6) / 40, 2))
    assert body["answers"][0] == {"attribute": "Greeting", "answer": "yes", "evidence": [0],
                                  "comment": "warm", "verified": True}
    with scopes_disabled():
        total = ScoreRollup.objects.get(kind="manual", attribute_key="")
        assert (total.agent_id, total.n, total.total) == (world.agent.pk, 1, body["total"])
        actions = list(EvaluationChange.objects.filter(evaluation_id=body["id"])
                       .values_list("action", flat=True))
    assert actions == ["answered", "answered", "answered", "submitted", "released"]


def test_post_without_release_follows_the_tenants_delay(world, setup):
    _, _, api = setup
    org = world.tenant.org
    org.settings = {"quality": {"release_mode": "after_delay", "release_delay_hours": 24}}
    org.save(update_fields=["settings"])
    response = api.post("evaluations", {"interaction": "CHAT-1", "answers": [
        {"attribute": "Greeting", "answer": "no"}, {"attribute": "Compliance", "answer": "na"},
        {"attribute": "Tone", "answer": "5"}]})
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["evaluator"]) == ("submitted", None)
    with scopes_disabled():
        evaluation = Evaluation.objects.get(pk=response.json()["id"])
    assert evaluation.release_at is not None


GOOD = [{"attribute": "Greeting", "answer": "yes"}, {"attribute": "Compliance", "answer": "yes"},
        {"attribute": "Tone", "answer": 2}]


@pytest.mark.parametrize(("change", "errors"), [
    ({"interaction": "NOPE"},
     [("interaction", "No interaction “NOPE” in this organization.")]),
    ({"interaction": "THEIR-1"},  # another tenant's: never said to exist
     [("interaction", "No interaction “THEIR-1” in this organization.")]),
    ({"scorecard": "Theirs"}, [("scorecard", "No current scorecard named “Theirs”.")]),
    ({"evaluator": "olga"}, [("evaluator", "No member “olga” in this organization.")]),
    ({"answers": [GOOD[0], GOOD[1], {"attribute": "Tone", "answer": 7}]},
     [("answers[2].answer",
       "“Tone” is answered with a whole number from 0 to 5 or na; got 7.")]),
    ({"answers": [{"attribute": "Greeting", "answer": "maybe"}, GOOD[1], GOOD[2]]},
     [("answers[0].answer", "“Greeting” is answered yes, no or na; got 'maybe'.")]),
    ({"answers": [GOOD[0], GOOD[1]]},
     [("answers", "Answer every attribute: “Tone” not answered.")]),
    ({"answers": [*GOOD, {"attribute": "Greeting", "answer": "no"}]},
     [("answers[3].attribute", "“Greeting” is answered twice.")]),
    ({"answers": [*GOOD, {"attribute": "Empathy", "answer": "no"}]},
     [("answers[3].attribute", "“Empathy” is not an attribute of Customer care v1.")]),
    ({"answers": [{"attribute": "Greeting", "answer": "yes", "evidence": [3]}, *GOOD[1:]]},
     [("answers[0].evidence",
       "Evidence for “Greeting” cites turn 3, but the transcript has 3 turns.")]),
    ({"evaluator": "olga", "answers": [GOOD[0], {"attribute": "Compliance", "answer": 1}]},
     [("evaluator", "No member “olga” in this organization."),
      ("answers[1].answer", "“Compliance” is answered yes, no or na; got 1."),
      ("answers", "Answer every attribute: “Tone” not answered.")]),
])
def test_post_refusals_name_each_part_and_write_nothing(world, setup, change, errors):
    _, _, api = setup
    response = api.post("evaluations", {"interaction": "CHAT-1", "answers": GOOD, **change})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The evaluation is invalid; nothing was written.",
        "errors": [{"index": None, "field": f, "message": m} for f, m in errors],
    }
    with scopes_disabled():
        assert (Evaluation.objects.count(), EvaluationChange.objects.count(),
                ScoreRollup.objects.count()) == (0, 0, 0)


def test_post_for_a_work_item_that_is_not_an_interaction_is_refused(world, setup):
    _, _, api = setup
    with scopes_disabled():
        from work.models import WorkItem
        WorkItem.objects.create(organization=world.tenant.org, kind="incident",
                                external_id="INC-1", assigned_to=world.agent)
    response = api.post("evaluations", {"interaction": "INC-1", "answers": GOOD})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "interaction"
    assert "only calls, chats and e-mails are evaluated" in response.json()["detail"]
    with scopes_disabled():
        assert Evaluation.objects.count() == 0


def test_another_tenants_token_sees_nothing(world, setup, client):
    card, item, _ = setup
    evaluation = evaluate(world, card, item, {"greeting": "yes", "compliance": "yes", "tone": 5})
    theirs = ApiClient(client=client, token=make_token(tenant=world.other))
    assert theirs.get("evaluations").json() == {"items": [], "next_cursor": None}
    response = theirs.get(f"evaluations/{evaluation.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No evaluation with this id in your organization."}
    assert [c["name"] for c in theirs.get("scorecards").json()] == ["Theirs"]
    response = theirs.post("evaluations", {"interaction": "CHAT-1", "answers": GOOD})
    assert response.json()["errors"] == [
        {"index": None, "field": "interaction",
         "message": "No interaction “CHAT-1” in this organization."}]
    assert api_anonymous(client).status_code == 401


def api_anonymous(client):
    return ApiClient(client=client, token=None).get("evaluations")
