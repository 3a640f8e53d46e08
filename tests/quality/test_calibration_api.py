"""GET /api/v1/calibration-sessions and /{id}: blind before the reveal (progress only,
whatever the token), every rater's answers, the final answers, agreement and deviations
after; organization tokens see their organization's sessions, personal tokens only those
their person takes part in or leads; another tenant's token sees nothing (404)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from quality.services.answers import AnswerInput
from quality.services.calibration import Pick, create_session, save_scores, start_scoring
from tenancy.services import create_api_token
from tests.work.conftest import ApiClient

from .calibration_helpers import CARD, CLOSE, GREETED, SCORES, build_session
from .conftest import make_interaction, make_scorecard

NOT_FOUND = {"detail": "No calibration session with this id that this token may read."}


@pytest.fixture
def api(world, client):
    """An API client with a new token: the organization's, or ``user``'s personal one."""
    def make(user=None, *, tenant=None):
        with scopes_disabled():
            _, raw = create_api_token(organization=(tenant or world.tenant).org, name="t",
                                      user=user, created_by=user)
        return ApiClient(client=client, token=raw)
    return make


def scoring_session(world):
    """The QA analyst and the org admin scored all four interactions, the coach none:
    the session is still scoring (blind)."""
    org = world.tenant.org
    with scopes_disabled():
        make_scorecard(org, attributes=CARD)
        items = [make_interaction(org, agent=world.agent, external_id=f"B-{n}", turns=GREETED)
                 for n in range(4)]
        session = create_session(organization=org, actor=world.qa, name="Blind",
                                 deadline=timezone.now() + timedelta(days=2),
                                 evaluators=[world.qa, world.admin, world.coach],
                                 picks=[Pick(i) for i in items])
        for user in (world.qa, world.admin):
            for unit in session.items.order_by("position"):
                evaluation = start_scoring(item=unit, evaluator=user)
                save_scores(evaluation=evaluation, actor=user, submit=True, answers=[
                    AnswerInput("greeting", "yes"), AnswerInput("resolution", 3)])
    return session


def test_blind_before_the_reveal_shows_progress_only(world, api):
    session = scoring_session(world)
    for client in (api(), api(world.qa), api(world.coach)):
        body = client.get(f"calibration-sessions/{session.pk}").json()
        assert (body["blind"], body["state"]) == (True, "scoring")
        assert (body["agreement"], body["deviations"]) == (None, None)
        assert [(i["position"], i["interaction"], i["scores"], i["final"])
                for i in body["items"]] == [
            (1, "B-0", None, None), (2, "B-1", None, None), (3, "B-2", None, None),
            (4, "B-3", None, None)]
        assert [(p["evaluator"], p["scored"], p["submitted_at"] is not None)
                for p in body["progress"]] == [
            ("quinn", 4, True), ("ada", 4, True), ("carl", 0, False)]
        assert (body["interactions"], body["evaluators"], body["submitted"]) == (4, 3, 2)
        assert body["attributes"] == ["greeting", "resolution"]


def test_after_the_finish_every_score_final_answers_and_agreement(world, api):
    session = build_session(world)
    response = api().get(f"calibration-sessions/{session.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["blind"], body["state"], body["name"], body["lead"]) == (
        False, "finished", "November", "quinn")
    first = body["items"][0]
    assert first["scores"] == [
        {"rater": "quinn", "automatic": False, "total": 100.0,
         "answers": {"greeting": "yes", "resolution": 4}},
        {"rater": "ada", "automatic": False, "total": 43.75,
         "answers": {"greeting": "yes", "resolution": 1}},
        {"rater": "carl", "automatic": False, "total": 62.5,
         "answers": {"greeting": "yes", "resolution": 2}},
        # the automatic scorer: resolution is scored by hand only, so N/A (and left out of α)
        {"rater": None, "automatic": True, "total": 100.0,
         "answers": {"greeting": "yes", "resolution": "na"}},
    ]
    assert first["final"] == {"greeting": {"answer": "yes", "note": ""},
                              "resolution": {"answer": 4, "note": ""}}
    assert [s["answers"] for s in body["items"][3]["scores"]][:3] == [
        {"greeting": "no", "resolution": 2}, {"greeting": "no", "resolution": 0},
        {"greeting": "yes", "resolution": 3}]
    by_key = {a["attribute_key"]: a for a in body["agreement"]}
    assert list(by_key) == ["greeting", "resolution", ""]
    greeting, resolution, total = by_key["greeting"], by_key["resolution"], by_key[""]
    assert (round(greeting["alpha"], 4), greeting["reading"], greeting["flagged"]) == (
        0.6857, "tentative", False)
    assert greeting["alpha_low"] is not None and greeting["alpha_high"] is not None
    assert (round(greeting["alpha_with_auto"], 4), greeting["percent_agreement"]) == (
        0.7619, 5 / 6)
    assert (round(resolution["alpha"], 3), resolution["reading"], resolution["flagged"]) == (
        -0.323, "unreliable", True)
    assert (total["attribute_name"], total["level"], total["units"], total["raters"]) == (
        "Total score", "interval", 4, 3)
    deviations = {(d["rater"], d["attribute_key"]): d for d in body["deviations"]}
    assert deviations[("carl", "")]["from_final"] == 53.125
    assert deviations[("ada", "resolution")]["from_final"] == 50.0
    auto = deviations[(None, "greeting")]
    assert (auto["automatic"], auto["n"], auto["from_final"]) == (True, 4, 0.0)
    assert (None, "resolution") not in deviations
    assert body["deviations"][-1]["automatic"] is True  # the machine's rows last


def test_list_pages_filters_and_counts(world, api):
    first = build_session(world, name="One")
    second = build_session(world, scores=CLOSE, name="Two", final=None)  # revealed
    client = api()
    body = client.get("calibration-sessions").json()
    assert [(s["id"], s["name"], s["state"]) for s in body["items"]] == [
        (second.pk, "Two", "revealed"), (first.pk, "One", "finished")]
    assert body["next_cursor"] is None
    assert (body["items"][1]["interactions"], body["items"][1]["evaluators"],
            body["items"][1]["submitted"], body["items"][1]["scorecard"]) == (
        4, 3, 3, "Customer care")
    assert [s["id"] for s in client.get(
        "calibration-sessions", {"state": "finished"}).json()["items"]] == [first.pk]
    page = client.get("calibration-sessions", {"limit": 1}).json()
    assert [s["id"] for s in page["items"]] == [second.pk]
    rest = client.get("calibration-sessions", {"limit": 1, "cursor": page["next_cursor"]})
    assert [s["id"] for s in rest.json()["items"]] == [first.pk]
    bad = client.get("calibration-sessions", {"cursor": "nonsense!"})
    assert (bad.status_code, bad.json()) == (
        400, {"detail": "The cursor is not one this API returned."})
    assert client.get("calibration-sessions", {"state": "nope"}).status_code == 422


def test_permission_matrix_of_tokens(world, api, client):
    # the QA analyst leads; the QA analyst and the coach score; the org admin is not in it
    session = build_session(world, scores={k: SCORES[k] for k in ("qa", "coach")})
    path = f"calibration-sessions/{session.pk}"
    assert ApiClient(client=client, token=None).get(path).status_code == 401
    assert ApiClient(client=client, token="wrong").get(path).status_code == 401
    for who in (None, world.qa, world.coach):
        reader = api(who)
        assert reader.get(path).status_code == 200, who
        assert [s["id"] for s in reader.get("calibration-sessions").json()["items"]] == [
            session.pk]
    # personal tokens of members neither taking part nor leading — an org admin included —
    # and another tenant's tokens: 404, and nothing listed
    readers = [api(world.admin), api(world.coach2), api(world.agent),
               api(tenant=world.other), api(world.outsider, tenant=world.other)]
    for reader in readers:
        response = reader.get(path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert reader.get("calibration-sessions").json() == {"items": [], "next_cursor": None}
    assert api().get("calibration-sessions/999999999").status_code == 404


def test_detail_reads_in_constant_queries(world, api, django_assert_max_num_queries):
    small = build_session(world, scores={k: SCORES[k] for k in ("qa", "admin")}, name="S")
    large = build_session(world, name="L")
    client = api()
    client.get(f"calibration-sessions/{small.pk}")  # warm the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(f"calibration-sessions/{small.pk}")
    with CaptureQueriesContext(connection) as other:
        client.get(f"calibration-sessions/{large.pk}")
    assert len(other) == len(one)
