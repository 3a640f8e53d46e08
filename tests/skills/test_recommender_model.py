"""The recommender's model on small hand-built data: fields, the neighbour vote, the
classifier, the agent prior, the probability floor, adding a tagged item without a refit,
and the tenant's settings."""

import pytest

from skills.recommender import ModelSettings, TextIndex, item_fields
from skills.services import recommender_settings
from tenancy.models import Organization

FIREWALL, PRINTER = 1, 2
TEXTS = ["firewall port blocked", "firewall rule change", "firewall vpn port",
         "printer paper jam", "printer toner empty", "printer tray jam"]
SKILLS = [{FIREWALL}] * 3 + [{PRINTER}] * 3


def fitted(**settings) -> TextIndex:
    return TextIndex.fit(texts=TEXTS, item_ids=[10, 11, 12, 20, 21, 22], skills=SKILLS,
                         agents=[7, 7, 7, 7, 8, 8], settings=ModelSettings(**settings))


def test_item_fields_are_one_exact_token_per_value():
    assert item_fields(category="Network", subcategory="", attributes={
        "impact": "High", "teams": "V5 3rd, V30, V5 3rd", "ignored": "x", "empty": ""},
        attribute_keys=["impact", "teams", "empty", "missing"]) == (
        "category=network\nimpact=high\nteams=v5 3rd\nteams=v30")


def test_the_vote_alone_is_the_share_of_the_neighbours_similarity():
    index = fitted(classifier_weight=0, neighbours=10, similarity_threshold=0.1)
    [[firewall]] = index.predict(["firewall port"])
    # Only firewall items share a word with the query: the vote is all theirs.
    assert (firewall.skill_id, firewall.score) == (FIREWALL, 1.0)
    assert [n[0] for n in firewall.neighbours] == [10, 12, 11]
    assert all(0.1 <= sim <= 1 for _, sim in firewall.neighbours)
    assert firewall.neighbours == index.neighbours(["firewall port"], k=10,
                                                   min_similarity=0.1)[0]


def test_the_classifier_and_the_vote_agree_on_clear_cases():
    index = fitted(classifier_weight=0.5, max_skills=0, min_probability=0.0)
    [found] = index.predict(["printer jam"])
    assert [p.skill_id for p in found] == [PRINTER, FIREWALL]
    assert found[0].score > 0.75 > 0.25 > found[1].score
    assert [n[0] for n in found[0].neighbours] == [20, 22, 21]
    assert found[1].neighbours == []  # no firewall item resembles it


def test_the_floor_and_the_number_of_skills_an_item_counts_toward():
    index = fitted(classifier_weight=0.5, max_skills=0, min_probability=0.0)
    [found] = index.predict(["printer jam"])
    assert len(found) == 2
    assert index.predict(["printer jam"], min_probability=0.5)[0] == found[:1]
    index.settings = ModelSettings(classifier_weight=0.5, max_skills=1, min_probability=0.0)
    assert index.predict(["printer jam"])[0] == found[:1]
    assert index.predict(["nothing in common"], min_probability=0.5) == [[]]
    # No known word: no prediction at all (the classifier's intercept alone is no evidence).
    assert index.predict(["", "zebra"], min_probability=0.0) == [[], []]


def test_the_agent_prior_is_the_share_of_their_tagged_items():
    index = fitted(classifier_weight=0, agent_prior=1.0, max_skills=0, min_probability=0.0,
                   similarity_threshold=0.9)
    # No neighbour this close: only the agent's own history speaks (agent 7: three
    # firewall items and one printer item; agent 8: two printer items; agent 9: none).
    assert [[(p.skill_id, p.score) for p in found] for found in index.predict(
        ["firewall and printer"] * 3, agents=[7, 8, 9])] == [
        [(FIREWALL, 0.75), (PRINTER, 0.25)], [(PRINTER, 1.0)], []]


def test_a_tagged_item_added_without_a_refit_is_a_neighbour_at_once():
    index = fitted(classifier_weight=0, max_skills=0, min_probability=0.0)
    query = ["firewall router bgp flap"]  # only "firewall" is in the fitted vocabulary
    assert [n[0] for n in index.neighbours(query, k=10, min_similarity=0.1)[0]] == [10, 12, 11]
    index.add(text="firewall router bgp flap", item_id=30, skills=[3])
    assert index.neighbours(query, k=1, min_similarity=0.1) == [[(30, 1.0)]]
    [found] = index.predict(query)
    assert [(p.skill_id, p.neighbours[0]) for p in found] == [(FIREWALL, (10, 0.3398)),
                                                               (3, (30, 1.0))]
    # Re-adding replaces the row: the item is there once, with its new skills.
    index.add(text="firewall router bgp flap", item_id=30, skills=[4])
    assert len(index) == 7 and index.skills_by_item()[30] == (4,)


def test_an_index_pickles_with_its_classifier():
    index = fitted()
    again = TextIndex.loads(index.dumps())
    assert again.predict(TEXTS[:2]) == index.predict(TEXTS[:2])


@pytest.mark.parametrize(("raw", "expected"), [
    ({}, (10, 0.3, 10, 0.1, 0.8)),
    ({"threshold": 4, "min_score": 0.4, "neighbours": 5}, (4, 0.4, 5, 0.1, 0.8)),
    ({"min_probability": 0.3, "min_score": 0.9, "classifier_weight": 0}, (10, 0.3, 10, 0.1, 0.0)),
    ({"neighbours": 0}, (10, 0.3, 10, 0.1, 0.8)),  # invalid: the defaults
    ({"similarity_threshold": "x"}, (10, 0.3, 10, 0.1, 0.8)),
])
def test_settings_per_tenant_with_defaults(raw, expected):
    config = recommender_settings(Organization(slug="x", settings={"recommender": raw}))
    model = config.model
    assert (config.threshold, config.min_probability, model.neighbours,
            model.similarity_threshold, model.classifier_weight) == expected


def test_class_balance_raises_a_rare_skills_probability():
    """One item in seven needs the rare skill: weighing its items by (others / its own)
    to the power ``class_balance`` makes the classifier say so more readily."""
    texts = TEXTS + ["firewall printer cable"]
    skills = [{FIREWALL}, {FIREWALL, 3}, {FIREWALL}, {PRINTER}, {PRINTER}, {PRINTER, 3},
              {PRINTER}]

    def probability_of_rare(balance: float) -> float:
        index = TextIndex.fit(texts=texts, item_ids=list(range(7)), skills=skills,
                              settings=ModelSettings(classifier_weight=1.0, max_skills=0,
                                                     min_probability=0.0,
                                                     class_balance=balance))
        [found] = index.predict(["firewall rule"])
        return {p.skill_id: p.score for p in found}.get(3, 0.0)

    unweighted, half, balanced = (probability_of_rare(b) for b in (0.0, 0.5, 1.0))
    assert 0 < unweighted < half < balanced < 1
    assert recommender_settings(Organization(slug="x", settings={"recommender": {
        "class_balance": 0.5}})).model.class_balance == 0.5
    assert ModelSettings().class_balance == 0.0  # off by default


def test_the_same_rows_give_the_same_model():
    """liblinear's coordinate order comes from the process-wide rand(): fits running side by
    side would interleave their draws, and the same rows would give another model at each
    rebuild."""
    import random

    import numpy as np

    rng = random.Random(5)
    topics = [[f"topic{s}word{w}" for w in range(30)] for s in range(8)]
    general = [f"common{w}" for w in range(300)]
    texts, skills = [], []
    for _ in range(3000):
        skill = rng.randrange(8)
        texts.append(" ".join(rng.choices(topics[skill], k=4) + rng.choices(general, k=6)))
        skills.append({skill})

    def fit() -> TextIndex:
        return TextIndex.fit(texts=texts, item_ids=list(range(3000)), skills=skills)

    first, second = fit(), fit()
    assert first.skill_ids.tolist() == list(range(8))
    assert np.array_equal(first.coef, second.coef)
    assert np.array_equal(first.intercept, second.intercept)
