"""Automatic scoring: one released evaluation per interaction and scorecard version,
rescored in place, rollups kept exact, scorers isolated, the verified scorer chosen."""

import socket

import pytest
from django_scopes import scopes_disabled

from quality.enums import TOTAL_KEY, EvaluationKind
from quality.handlers import autoscore
from quality.models import AttributeAgreement, Evaluation, EvaluationChange, ScoreRollup
from quality.services.autoscore import ENGINE, ScoringContext, score_interaction
from work.enums import EventType, WorkKind
from work.models import Transcript, WorkEvent

from .conftest import make_interaction, make_scorecard
from .test_provider import fake_provider  # noqa: F401 (fixture)

GOOD = [
    ("agent", "Thank you for calling Acme, how can I help?"),  # 0
    ("customer", "My invoice is wrong and I am really annoyed."),  # 1
    ("agent", "I am sorry to hear that, I understand."),  # 2
    ("customer", "Thanks."),  # 3
    ("agent", "Fixed. Is there anything else I can do?"),  # 4
]


def _answers(evaluation):
    with scopes_disabled():
        return {a.attribute.key: (a.api_value, a.evidence, a.scorer)
                for a in evaluation.answers.select_related("attribute")}


def _rollup(**filters):
    with scopes_disabled():
        row = ScoreRollup.objects.get(**filters)
    return row.n, row.total, row.failures


def test_scoring_releases_one_evaluation_with_evidence(world):
    org = world.tenant.org
    card = make_scorecard(org)
    item = make_interaction(org, agent=world.agent, external_id="C-1", turns=GOOD)
    with scopes_disabled():
        evaluation = score_interaction(interaction=item)
    assert (evaluation.kind, evaluation.state, evaluation.scorer, evaluation.scorecard_id) == (
        EvaluationKind.AUTO, "released", ENGINE, card.pk)
    assert (evaluation.agent_id, evaluation.error) == (world.agent.pk, "")
    assert _answers(evaluation) == {
        "greeting": ("yes", [0], "rules:1"),
        "empathy": ("yes", [2], "rules:1"),
        "compliance": ("yes", [], "rules:1"),
        "product-knowledge": ("na", [], ""),  # no rule: N/A
        "communication": ("yes", [4], "rules:1"),  # last offset 40 s ≤ 600 s
        "etiquette": ("yes", [4], "rules:1"),
    }
    assert evaluation.total == 100.0
    assert evaluation.sentiment is not None and evaluation.sentiment < 0
    with scopes_disabled():
        answer = evaluation.answers.get(attribute__key="greeting")
    assert answer.alternatives == {"rules:1": 1}
    assert _rollup(kind="auto", attribute_key=TOTAL_KEY) == (1, 100.0, 0)


def test_scoring_twice_changes_nothing_and_a_new_transcript_rescores_in_place(world):
    org = world.tenant.org
    make_scorecard(org)
    item = make_interaction(org, agent=world.agent, external_id="C-1", turns=GOOD)
    with scopes_disabled():
        first = score_interaction(interaction=item)
        history = EvaluationChange.objects.count()
        again = score_interaction(interaction=item)
        assert again.pk == first.pk
        assert Evaluation.objects.count() == 1
        assert EvaluationChange.objects.count() == history  # nothing changed, nothing written
    assert _rollup(kind="auto", attribute_key=TOTAL_KEY) == (1, 100.0, 0)

    # The transcript changes: no greeting any more, and a promise nobody may make.
    turns = [{"speaker": s, "text": t, "at": 10 * i} for i, (s, t) in enumerate(
        [("agent", "Hello."), *GOOD[1:4], ("agent", "I guarantee it. Anything else?")])]
    with scopes_disabled():
        Transcript.objects.filter(work_item=item).update(turns=turns, turn_count=len(turns))
        rescored = score_interaction(interaction=item)
        assert Evaluation.objects.count() == 1
        assert rescored.pk == first.pk
        assert EvaluationChange.objects.filter(action="rescored").count() == 1
    assert _answers(rescored)["greeting"] == ("no", [], "rules:1")
    assert _answers(rescored)["compliance"] == ("no", [4], "rules:1")
    assert (rescored.total, rescored.critical_failed) == (0.0, True)
    assert _rollup(kind="auto", attribute_key=TOTAL_KEY) == (1, 0.0, 1)
    assert _rollup(kind="auto", attribute_key="greeting") == (1, 0.0, 1)
    assert _rollup(kind="auto", attribute_key="empathy") == (1, 1.0, 0)


def test_a_batch_scores_a_new_interaction_in_7_queries_and_an_unchanged_one_in_3(
    world, django_assert_num_queries
):
    org = world.tenant.org
    make_scorecard(org)
    items = [make_interaction(org, agent=world.agent, external_id=f"C-{n}", turns=GOOD)
             for n in range(3)]
    context = ScoringContext()
    with scopes_disabled():
        score_interaction(interaction=items[0], context=context)  # reads the scorecard once
        # the transcript with whether it was scored, a savepoint, the evaluation, its
        # answers, its history, its rollups, the release of the savepoint
        with django_assert_num_queries(7):
            batched = score_interaction(interaction=items[1], context=context)
        # inside a transaction (the outbox's, here the test's): the transcript, the locked
        # evaluation, its answers
        with django_assert_num_queries(3):
            assert score_interaction(interaction=items[1], context=context).pk == batched.pk
        alone = score_interaction(interaction=items[2])
        history = [list(EvaluationChange.objects.filter(evaluation=e).values_list(
            "action", "before", "after")) for e in (batched, alone)]
        released = Evaluation.objects.get(pk=batched.pk)
    assert history == [[("scored", None, 100.0), ("released", None, "Released")]] * 2
    assert _answers(batched) == _answers(alone)
    assert (released.state, released.total, released.sentiment) == (
        "released", 100.0, alone.sentiment)
    assert released.submitted_at == released.released_at == released.updated_at
    assert _rollup(kind="auto", attribute_key=TOTAL_KEY) == (3, 300.0, 0)
    assert _rollup(kind="auto", attribute_key="greeting") == (3, 3.0, 0)


def test_rollups_add_up_over_interactions(world):
    org = world.tenant.org
    make_scorecard(org)
    late = [*GOOD[:4], ("agent", "Bye.")]  # no "anything else": etiquette (15) fails
    with scopes_disabled():
        for n, turns in enumerate([GOOD, late, GOOD]):
            item = make_interaction(org, agent=world.agent, external_id=f"C-{n}", turns=turns)
            score_interaction(interaction=item)
    # 100, 100 × 65/80 (product knowledge N/A), 100
    assert _rollup(kind="auto", attribute_key=TOTAL_KEY) == (3, 200.0 + 81.25, 0)
    assert _rollup(kind="auto", attribute_key="etiquette") == (3, 2.0, 1)


def test_an_attribute_without_na_and_without_a_scorer_stays_out_of_the_total(world):
    org = world.tenant.org
    make_scorecard(org, attributes=[
        ("greeting", "Opening", "Greeting", 10, False,
         {"rule": "agent_says", "phrases": ["thank you for calling"]}),
        ("tone", "Conversation", "Tone", 30, False, {"rule": "learned"}, ("scale", 4)),
        ("closing", "Closing", "Closing", 10, False,
         {"rule": "agent_says", "phrases": ["goodbye"]}, ("scale", 2)),
    ])
    with scopes_disabled():
        from quality.models import Attribute
        Attribute.objects.filter(key="tone").update(na_allowed=False)
        item = make_interaction(org, agent=world.agent, external_id="C-1", turns=GOOD)
        evaluation = score_interaction(interaction=item)
    assert _answers(evaluation) == {"greeting": ("yes", [0], "rules:1"),
                                    "tone": (None, [], ""), "closing": (0, [], "rules:1")}
    assert evaluation.total == 50.0


@pytest.mark.parametrize("case", ["incident", "no transcript", "no agent", "no scorecard"])
def test_what_cannot_be_scored_is_skipped(world, case):
    org = world.tenant.org
    if case != "no scorecard":
        make_scorecard(org)
    item = make_interaction(
        org, agent=None if case == "no agent" else world.agent, external_id="C-1",
        turns=[] if case == "no transcript" else GOOD,
        kind=WorkKind.INCIDENT if case == "incident" else WorkKind.CALL,
    )
    with scopes_disabled():
        assert score_interaction(interaction=item) is None
        assert Evaluation.objects.count() == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failing_provider_is_recorded_and_blocks_nothing(world):
    org = world.tenant.org
    org.settings = {"quality": {"provider": {
        "enabled": True, "url": f"http://127.0.0.1:{_closed_port()}/v1", "model": "m",
        "timeout_seconds": 1}}}
    org.save()
    make_scorecard(org)
    with scopes_disabled():
        scored = [score_interaction(interaction=make_interaction(
            org, agent=world.agent, external_id=f"C-{n}", turns=GOOD)) for n in range(2)]
    for evaluation in scored:
        assert evaluation.error.startswith("provider:m: The provider could not be reached")
        assert evaluation.total == 100.0
        assert _answers(evaluation)["greeting"] == ("yes", [0], "rules:1")


def test_the_verified_scorer_that_agrees_best_decides(world, fake_provider):  # noqa: F811
    org = world.tenant.org
    org.settings = {"quality": {"provider": {"enabled": True, "url": fake_provider.url,
                                             "model": "fake-1"}}}
    org.save()
    make_scorecard(org)
    fake_provider.answer({
        "greeting": {"answer": "no", "evidence": [0]}, "empathy": {"answer": "yes"},
        "compliance": {"answer": "yes"}, "communication": {"answer": "na"},
        "etiquette": {"answer": "no", "evidence": [4]},
    })
    with scopes_disabled():
        for scorer, kappa in (("provider:fake-1", 0.9), ("rules:1", 0.7)):
            AttributeAgreement.objects.create(
                organization=org, scorecard_key="customer-care", attribute_key="greeting",
                scorer=scorer, pairs=40, agreement=0.95, kappa=kappa, verified=True)
        AttributeAgreement.objects.create(
            organization=org, scorecard_key="customer-care", attribute_key="etiquette",
            scorer="provider:fake-1", pairs=10, agreement=1.0, kappa=1.0, verified=False)
        evaluation = score_interaction(
            interaction=make_interaction(org, agent=world.agent, external_id="C-1", turns=GOOD))
        greeting = evaluation.answers.get(attribute__key="greeting")
    answers = _answers(evaluation)
    assert answers["greeting"] == ("no", [0], "provider:fake-1")
    assert greeting.alternatives == {"provider:fake-1": 0, "rules:1": 1}
    assert answers["etiquette"] == ("yes", [4], "rules:1")  # the provider is not verified there
    assert evaluation.error == ""


def test_the_handler_scores_on_creation_and_on_a_transcript_change(world):
    org = world.tenant.org
    make_scorecard(org)
    item = make_interaction(org, agent=world.agent, external_id="C-1", turns=GOOD)
    with scopes_disabled():
        other = WorkEvent.objects.create(organization=org, work_item=item,
                                         type=EventType.UPDATED, changes={"priority": [1, 2]})
        autoscore([other])
        assert Evaluation.objects.count() == 0
        created = WorkEvent.objects.create(organization=org, work_item=item,
                                           type=EventType.CREATED, changes={})
        autoscore([created])
        assert Evaluation.objects.count() == 1
        Transcript.objects.filter(work_item=item).update(turns=[
            {"speaker": "agent", "text": "Hello."}, {"speaker": "customer", "text": "Hi."}],
            turn_count=2)
        autoscore([WorkEvent.objects.create(organization=org, work_item=item,
                                            type=EventType.UPDATED,
                                            changes={"transcript": [5, 2]})])
        evaluation = Evaluation.objects.get()
    assert _answers(evaluation)["greeting"] == ("no", [], "rules:1")
