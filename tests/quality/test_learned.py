"""The learned scorer: trained only from the tenant's threshold of audits with transcripts,
its held-out agreement recorded, then answering its attribute in automatic scoring."""

from django_scopes import scopes_disabled

from quality.models import LearnedScorer
from quality.services.autoscore import score_interaction
from quality.services.training import learned_progress, train_learned_scorer
from quality.tasks import train_learned_scorers_for

from .conftest import make_interaction, make_scorecard
from .test_agreement import audit

ATTRIBUTES = [
    ("greeting", "Opening", "Greeting", 10, False,
     {"rule": "agent_says", "phrases": ["thank you for calling"]}),
    ("ownership", "Conversation", "Ownership", 10, False, {"rule": "learned"}),
]
OWNS = [("agent", "Hello."), ("customer", "My parcel is lost."),
        ("agent", "I will personally track it and call you back today.")]
DEFLECTS = [("agent", "Hello."), ("customer", "My parcel is lost."),
            ("agent", "That is the courier's problem, not ours.")]


def _audited(world, card, count, *, start=0):
    org = world.tenant.org
    with scopes_disabled():
        for n in range(start, start + count):
            owns = n % 2 == 0
            item = make_interaction(org, agent=world.agent, external_id=f"C-{n}",
                                    turns=OWNS if owns else DEFLECTS)
            audit(world, item, card, {"ownership": "yes" if owns else "no"})


def test_trains_only_at_the_threshold_and_records_heldout_agreement(world):
    org = world.tenant.org
    org.settings = {"quality": {"learned_min_answers": 20}}
    org.save()
    card = make_scorecard(org, attributes=ATTRIBUTES)
    _audited(world, card, 19)
    with scopes_disabled():
        # an audit of an interaction without a transcript does not count
        bare = make_interaction(org, agent=world.agent, external_id="BARE")
        audit(world, bare, card, {"ownership": "yes"})
        assert learned_progress(org, scorecard_key=card.key, attribute_key="ownership") == (19, 20)
        assert train_learned_scorer(organization=org, scorecard_key=card.key,
                                    attribute_key="ownership") is None
        assert LearnedScorer.objects.count() == 0
    _audited(world, card, 1, start=19)
    with scopes_disabled():
        assert learned_progress(org, scorecard_key=card.key, attribute_key="ownership") == (20, 20)
        assert train_learned_scorers_for(organization_id=org.pk) == 1
        scorer = LearnedScorer.objects.get()
    assert (scorer.attribute_key, scorer.version, scorer.name) == ("ownership", 1, "learned:1")
    assert (scorer.training_size, scorer.heldout_size) == (16, 4)
    assert (scorer.heldout_agreement, scorer.heldout_kappa) == (1.0, 1.0)

    with scopes_disabled():
        # Nothing new: the nightly run keeps the model (and its name).
        train_learned_scorers_for(organization_id=org.pk)
        assert LearnedScorer.objects.get().version == 1
        evaluation = score_interaction(interaction=make_interaction(
            org, agent=world.agent, external_id="NEW",
            turns=[("agent", "Hi."), ("agent", "I will personally track it today.")]))
        answer = evaluation.answers.get(attribute__key="ownership")
    assert (answer.api_value, answer.scorer, answer.alternatives) == (
        "yes", "learned:1", {"learned:1": 1})
