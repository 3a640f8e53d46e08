"""The recommender's neighbour searches (skills/neighbours.py): the clustered search finds
the same neighbours as brute force on separable data, follows added and replaced items,
survives the stored pickle; the classifier's row sample above its cap."""

import numpy as np

from skills.neighbours import EXACT_MAX_ROWS, BruteForce, Clustered, neighbour_search
from skills.recommender import ModelSettings, TextIndex, _classifier_rows

TOPICS = {
    1: ["firewall", "vpn", "port", "router", "dns", "subnet"],
    2: ["printer", "toner", "paper", "tray", "jam", "spooler"],
    3: ["password", "login", "locked", "account", "reset", "token"],
    4: ["invoice", "refund", "payment", "billing", "charge", "credit"],
}


def corpus():
    """30 items a topic, each three of its six words (every combination once, then the
    first ten again): ids 100·topic + n."""
    from itertools import combinations

    texts, ids, skills = [], [], []
    for skill, words in TOPICS.items():
        combos = list(combinations(words, 3))
        for n, combo in enumerate((combos + combos)[:30]):
            texts.append(" ".join(combo))
            ids.append(100 * skill + n)
            skills.append({skill})
    return texts, ids, skills


def fitted() -> TextIndex:
    texts, ids, skills = corpus()
    return TextIndex.fit(texts=texts, item_ids=ids, skills=skills,
                         settings=ModelSettings(classifier_weight=0))


QUERIES = ["firewall port dns", "printer jam", "password reset token locked",
           "refund payment", "vpn router subnet printer"]


def test_small_indexes_search_by_brute_force():
    index = fitted()
    assert len(index) == 120 <= EXACT_MAX_ROWS
    assert isinstance(index.search, BruteForce)
    assert isinstance(neighbour_search(index.matrix), BruteForce)


def test_clustered_search_probing_every_cluster_is_brute_force():
    index = fitted()
    exact = index.neighbours(QUERIES, k=10, min_similarity=0.1)
    search = Clustered.fit(index.matrix, cluster_size=30, probes=4)
    assert search.centroids.shape[0] == 4
    assert sorted(np.bincount(search.assignment).tolist()) != [0, 0, 0, 120]
    index.search = search
    # Same items, same real similarities, same order (ties by item id) as brute force.
    assert index.neighbours(QUERIES, k=10, min_similarity=0.1) == exact
    assert index.neighbours(QUERIES, k=3, min_similarity=0.5) == fitted().neighbours(
        QUERIES, k=3, min_similarity=0.5)


def test_clustered_search_looks_in_the_probed_clusters_only():
    index = fitted()
    search = index.search = Clustered.fit(index.matrix, cluster_size=30, probes=1)
    queries = index.features(QUERIES)
    nearest = (queries @ search.centroids.T).toarray().argmax(axis=1)
    exact = fitted().neighbours(QUERIES, k=10, min_similarity=0.1)
    for row, found in enumerate(index.neighbours(QUERIES, k=10, min_similarity=0.1)):
        positions = [int(np.flatnonzero(index.item_ids == item)[0]) for item, _ in found]
        assert set(search.assignment[positions].tolist()) <= {int(nearest[row])}
        for (_item, sim), position in zip(found, positions, strict=True):
            real = float(queries[row].multiply(index.matrix[position]).sum())
            assert sim == round(real, 4)
        # What it finds is the brute-force ranking restricted to that cluster.
        members = set(index.item_ids[search.assignment == nearest[row]].tolist())
        ranked = [n for n in _brute(index).neighbours([QUERIES[row]], k=200,
                                                      min_similarity=0.1)[0]
                  if n[0] in members]
        assert found == ranked[:10]
        assert exact[row][0] in found or nearest[row] != search.assignment[
            int(np.flatnonzero(index.item_ids == exact[row][0][0])[0])]


def _brute(index: TextIndex) -> TextIndex:
    again = TextIndex.loads(index.dumps())
    again.search = BruteForce()
    return again


def test_added_and_replaced_items_join_the_clustered_search():
    index = fitted()
    index.search = Clustered.fit(index.matrix, cluster_size=30, probes=2)
    index.add(text="spooler toner tray jam paper", item_id=999, skills=[2])
    [[first, *_]] = index.neighbours(["spooler toner tray jam paper"], k=10,
                                     min_similarity=0.1)
    assert first == (999, 1.0)
    # Replaced: the item moves to the password topic's cluster.
    index.add(text="password login locked account", item_id=999, skills=[3])
    [found] = index.neighbours(["password login locked account"], k=1, min_similarity=0.1)
    assert found == [(999, 1.0)]
    assert len(index) == 121 == len(index.search.assignment)
    assert index.skills_by_item()[999] == (3,)


def test_a_stored_clustered_index_finds_the_same_neighbours():
    index = fitted()
    index.search = Clustered.fit(index.matrix, cluster_size=30, probes=2)
    before = index.neighbours(QUERIES, k=10, min_similarity=0.1)
    again = TextIndex.loads(index.dumps())
    assert again.search._groups is None
    assert again.neighbours(QUERIES, k=10, min_similarity=0.1) == before


def test_the_classifier_learns_from_every_row_up_to_its_cap():
    skills = [(1,)] * 6 + [(2,)] * 4
    assert _classifier_rows(skills, {1: 6, 2: 4}, limit=10).tolist() == list(range(10))


def test_above_its_cap_the_classifier_keeps_a_fixed_sample_and_every_rare_row():
    skills = [(1,)] * 990 + [(2,)] * 10
    rows = _classifier_rows(skills, {1: 990, 2: 10}, limit=100)
    sampled = set(np.random.default_rng(0).choice(1000, 100, replace=False).tolist())
    assert set(rows.tolist()) == sampled | set(range(990, 1000))
    assert rows.tolist() == sorted(rows.tolist())
    assert _classifier_rows(skills, {1: 990, 2: 10}, limit=100).tolist() == rows.tolist()
