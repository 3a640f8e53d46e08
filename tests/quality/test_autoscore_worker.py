"""Automatic scoring on a real Celery worker: interactions with transcripts posted to the
work-items API are scored, once each, by the worker's ``quality.autoscore`` handler; a
transcript sent again with a change rescores the same evaluation in place."""

import pytest
from django_scopes import scopes_disabled

from quality.enums import TOTAL_KEY
from quality.models import Evaluation, ScoreRollup
from tests.work.conftest import ApiClient, make_token
from tests.work.test_worker_integration import (  # noqa: F401 (fixtures)
    _wait_until_processed,
    pytestmark,
    queue,
    start_worker,
)
from work.models import HandlerRun

from .conftest import make_scorecard


def _chat(n: int, *, greet: bool) -> dict:
    opening = "Thank you for calling, this is Alice." if greet else "Yes?"
    return {
        "external_id": f"CH{n}", "kind": "chat", "assigned_to": "alice",
        "transcript": [
            {"speaker": "agent", "text": opening, "at": 0},
            {"speaker": "customer", "text": "My card was declined, this is awful.", "at": 8},
            {"speaker": "agent", "text": "I'm sorry, I understand. Fixed now.", "at": 20},
            {"speaker": "agent", "text": "Anything else I can do?", "at": 30},
        ],
    }


def test_posted_interactions_are_scored_by_the_worker(
    client, world, start_worker, tmp_path  # noqa: F811 (the imported fixture)
):
    make_scorecard(world.tenant.org)
    api = ApiClient(client=client, token=make_token(tenant=world.tenant))
    start_worker()

    chats = [_chat(n, greet=n % 2 == 0) for n in range(12)]
    assert api.post("work-items", chats).json() == {"created": 12, "updated": 0, "unchanged": 0}
    _wait_until_processed(12, tmp_path)
    with scopes_disabled():
        evaluations = {e.interaction.external_id: e for e in
                       Evaluation.objects.select_related("interaction").filter(kind="auto")}
        assert HandlerRun.objects.filter(handler="quality.autoscore").count() == 12
        assert set(Evaluation.objects.values_list("state", "error")) == {("released", "")}
        greeted = {key: e.answers.get(attribute__key="greeting").api_value
                   for key, e in evaluations.items()}
    assert greeted == {f"CH{n}": "yes" if n % 2 == 0 else "no" for n in range(12)}
    # the greeting (10 of 80; product knowledge is N/A) fails on the odd ones
    assert {e.total for e in evaluations.values()} == {100.0, 87.5}

    # CH1's transcript comes again, now with a greeting: the same evaluation is rescored.
    assert api.post("work-items", [_chat(1, greet=True)]).json() == {
        "created": 0, "updated": 1, "unchanged": 0}
    _wait_until_processed(13, tmp_path)
    with scopes_disabled():
        again = Evaluation.objects.get(interaction__external_id="CH1", kind="auto")
        assert Evaluation.objects.filter(kind="auto").count() == 12
        rollup = ScoreRollup.objects.get(kind="auto", attribute_key=TOTAL_KEY)
    assert (again.pk, again.total) == (evaluations["CH1"].pk, 100.0)
    assert (rollup.n, rollup.total) == (12, pytest.approx(7 * 100.0 + 5 * 87.5))
