"""The recommender's model: which skills an untagged resolved item needed, and why.

Pure computation, no database: :mod:`skills.services.recommendations` feeds it rows and
stores what it returns. Fitted on the tenant's tagged resolved items (their skills are
known):

- **Features.** Two TF-IDF blocks side by side, each L2-normalised, then the whole row:
  the *text* (uni- and bigrams, sublinear tf, English stop words, terms in at least
  ``min_df`` items) of the descriptions, categories and chosen attribute values, and the
  *fields* — one exact token per structured value (``category=…``, ``subcategory=…``,
  ``<attribute key>=…``; a comma-separated attribute gives one token per part), weighted by
  ``field_weight``. A dot product of two rows is their cosine similarity.
- **Neighbour vote.** The ``neighbours`` most similar tagged items with cosine ≥
  ``similarity_threshold``; a skill's vote is the share of their similarity that needed it.
- **Classifier.** One logistic regression per skill (one-vs-rest, ``C``) over the same
  features, fitted on the skills with at least two tagged items: a probability per skill.
- **Combined probability** = ``classifier_weight`` × classifier + (1 − ``classifier_weight``)
  × vote, then blended with the agent's own history (the share of their tagged items that
  needed the skill) by ``agent_prior``.

A skill is predicted for the item when its combined probability is at least
``min_probability``; only those count toward a recommendation. Every prediction keeps its
probability and the neighbours that needed the skill with their real similarities (the
evidence shown on the recommendation page).

New tagged items join the neighbours without a refit (:meth:`TextIndex.add`): the vocabulary
and the classifier stay as fitted until the next full rebuild.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tenancy.lazy import lazy_module

from .neighbours import BruteForce, NeighbourSearch, neighbour_search

if TYPE_CHECKING:
    from scipy import sparse as _sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

# The scientific stack is imported on first use (fitting, predicting, unpickling an index),
# so web workers, which import this module through the services, start without it.
np = lazy_module("numpy")
sparse = lazy_module("scipy.sparse")

CLASSIFIER_MAX_ROWS = 50_000  # tagged rows the classifier is fitted on (a sample above)

Neighbour = tuple[int, float]  # (work item id, cosine similarity)


@dataclass(frozen=True)
class ModelSettings:
    """The model's knobs (``Organization.settings["recommender"]``; defaults chosen on a
    validation split carved from the earlier part of both evaluation datasets, see
    bench/recommender_eval.py)."""

    neighbours: int = 10  # tagged neighbours consulted per untagged item
    similarity_threshold: float = 0.1  # cosine a tagged neighbour needs to count
    field_weight: float = 1.0  # weight of the structured-field block beside the text
    min_df: int = 2  # items a term must appear in (1 below 50 tagged items)
    classifier_weight: float = 0.8  # share of the classifier in the combined probability
    c: float = 10.0  # inverse regularisation of the per-skill logistic regressions
    # Weight of a skill's own items in its regression: (items without / items with) to this
    # power — 0 weighs every item alike, 1 balances the two classes ("balanced"). Off: 0.5
    # (with min_probability 0.2) led the validation folds but lost precision on the test
    # part (README, "Skill recommendations").
    class_balance: float = 0.0
    agent_prior: float = 0.0  # share of the agent's own history (off: it measured worse)
    min_probability: float = 0.3  # combined probability an item needs to count
    max_skills: int = 2  # most probable skills an item counts toward (0: no limit)
    # The vote: the share of the neighbours' similarity (False), or its mass — the sum of
    # the similarities of the neighbours that needed the skill over ``neighbours`` (True):
    # ten weak neighbours (cosine 0.2) then vote 0.2, not 1.
    vote_by_mass: bool = False  # measured worse on validation: off by default


def item_text(*, short_description: str, description: str, category: str, subcategory: str,
              attributes: dict | None, attribute_keys: Sequence[str]) -> str:
    """The text the index reads for one item: its descriptions, categories and the values
    of the attribute keys the tenant chose."""
    parts = [short_description or "", description or "", category or "", subcategory or ""]
    attributes = attributes or {}
    for key in attribute_keys:
        value = attributes.get(key)
        if value not in (None, ""):
            parts.append(str(value))
    return " ".join(p for p in parts if p)


def item_fields(*, category: str, subcategory: str, attributes: dict | None,
                attribute_keys: Sequence[str]) -> str:
    """The structured tokens of one item, one per line: ``category=…``, ``subcategory=…``
    and ``key=value`` for each chosen attribute (each part of a comma-separated value)."""
    tokens = []
    if category:
        tokens.append(f"category={category}")
    if subcategory:
        tokens.append(f"subcategory={subcategory}")
    attributes = attributes or {}
    for key in attribute_keys:
        value = attributes.get(key)
        if value in (None, ""):
            continue
        parts = [p.strip() for p in str(value).split(",")]
        tokens += [f"{key}={p}" for p in dict.fromkeys(parts) if p]
    return "\n".join(tokens).lower()


def _lines(text: str) -> list[str]:
    """The field block's analyzer (module level, so a fitted index pickles)."""
    return [t for t in text.split("\n") if t]


def _classifier_rows(skills: Sequence[tuple[int, ...]], counts: dict[int, int], *,
                     limit: int = CLASSIFIER_MAX_ROWS):
    """The tagged rows the classifier learns from: all of them up to
    :data:`CLASSIFIER_MAX_ROWS`; above, a fixed random sample of that many plus every row
    of a skill that would keep fewer than 50 rows in it."""
    total = len(skills)
    if total <= limit:
        return np.arange(total)
    chosen = np.zeros(total, dtype=bool)
    chosen[np.random.default_rng(0).choice(total, limit, replace=False)] = True
    rare = {s for s, n in counts.items() if n * limit / total < 50}
    if rare:
        chosen |= np.fromiter((not rare.isdisjoint(owned) for owned in skills), dtype=bool,
                              count=total)
    return np.flatnonzero(chosen)


def _normalise(matrix):
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sparse.diags((1 / norms).astype(np.float32)) @ matrix


@dataclass(frozen=True)
class Prediction:
    skill_id: int
    score: float  # the combined probability
    neighbours: list[Neighbour]  # the neighbours that needed this skill


@dataclass
class TextIndex:
    vectorizer: TfidfVectorizer
    fields_vectorizer: TfidfVectorizer | None
    settings: ModelSettings
    matrix: _sparse.csr_matrix  # one L2-normalised row per tagged item
    item_ids: np.ndarray
    skills: list[tuple[int, ...]]  # skill ids of each row
    skill_ids: np.ndarray = None  # classifier rows: the skill of each
    coef: np.ndarray = None  # (features, skills) float32, C-contiguous: one product a query
    intercept: np.ndarray = None
    agent_counts: dict[int, dict[int, int]] = field(default_factory=dict)
    search: NeighbourSearch | None = None  # brute force in indexes pickled before it

    @classmethod
    def fit(cls, *, texts: Sequence[str], item_ids: Sequence[int],
            skills: Sequence[Iterable[int]], fields: Sequence[str] | None = None,
            agents: Sequence[int | None] | None = None,
            settings: ModelSettings | None = None) -> TextIndex | None:
        """Fit on the tagged items; None when there is nothing to learn from (no tagged
        item, or no word in any of them)."""
        if not texts:
            return None
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

        settings = settings or ModelSettings()
        min_df = settings.min_df if len(texts) >= 50 else 1
        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                     ngram_range=(1, 2), min_df=min_df,
                                     dtype=np.float32, max_features=200_000)
        try:
            text_matrix = vectorizer.fit_transform(texts)
        except ValueError:  # empty vocabulary: every text is empty, rare or stop words
            vectorizer, text_matrix = None, None
        fields_vectorizer, field_matrix = None, None
        if fields is not None and settings.field_weight > 0 and any(fields):
            fields_vectorizer = TfidfVectorizer(analyzer=_lines, dtype=np.float32,
                                                min_df=min_df)
            try:
                field_matrix = fields_vectorizer.fit_transform(fields)
            except ValueError:
                fields_vectorizer = None
        if vectorizer is None and fields_vectorizer is None:
            return None
        skills = [tuple(sorted(s)) for s in skills]
        index = cls(vectorizer, fields_vectorizer, settings, None,
                    np.asarray(item_ids, dtype=np.int64), skills)
        index.matrix = index._combine(text_matrix, field_matrix, len(texts))
        index.search = neighbour_search(index.matrix)
        index._fit_classifier()
        for agent, owned in zip(agents or (), skills, strict=False):
            if agent is not None:
                counts = index.agent_counts.setdefault(agent, {})
                for skill_id in owned:
                    counts[skill_id] = counts.get(skill_id, 0) + 1
        return index

    def _combine(self, text_matrix, field_matrix, rows: int):
        blocks = []
        if self.vectorizer is not None:
            blocks.append(_normalise(text_matrix))
        if self.fields_vectorizer is not None:
            blocks.append(_normalise(field_matrix) * np.float32(self.settings.field_weight))
        if not blocks:
            return sparse.csr_matrix((rows, 0), dtype=np.float32)
        return _normalise(sparse.hstack(blocks, format="csr")).astype(np.float32).tocsr()

    def features(self, texts: Sequence[str], fields: Sequence[str] | None = None):
        """The normalised feature rows of these items (the fitted vocabulary)."""
        text_matrix = self.vectorizer.transform(texts) if self.vectorizer else None
        field_matrix = None
        if self.fields_vectorizer is not None:
            field_matrix = self.fields_vectorizer.transform(fields or [""] * len(texts))
        return self._combine(text_matrix, field_matrix, len(texts))

    def _fit_classifier(self) -> None:
        """One logistic regression per skill with at least two tagged items, fitted on
        every tagged row up to :data:`CLASSIFIER_MAX_ROWS`, above that on a fixed sample
        of them (plus every row of a skill the sample would leave with few)."""
        from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

        counts: dict[int, int] = {}
        for owned in self.skills:
            for skill_id in owned:
                counts[skill_id] = counts.get(skill_id, 0) + 1
        trained = sorted(s for s, n in counts.items() if 2 <= n < len(self.skills))
        width = self.matrix.shape[1]
        self.skill_ids = np.asarray(trained, dtype=np.int64)
        coef = np.zeros((len(trained), width), dtype=np.float32)
        self.intercept = np.zeros(len(trained), dtype=np.float32)
        self.coef = np.ascontiguousarray(coef.T)
        if self.settings.classifier_weight <= 0 or not trained or width == 0:
            return
        rows = _classifier_rows(self.skills, counts)
        matrix = self.matrix[rows] if len(rows) < len(self.skills) else self.matrix
        skills = [self.skills[r] for r in rows.tolist()]

        def fit_one(row: int) -> None:
            skill_id = trained[row]
            target = np.fromiter((skill_id in owned for owned in skills), dtype=bool,
                                 count=len(skills))
            if target.all() or not target.any():
                return
            # The dual solver: the same regularised problem as the primal one, several
            # times faster on many more rows than the skills' features.
            weight = None
            if self.settings.class_balance > 0:
                positives = int(target.sum())
                ratio = (len(target) - positives) / positives
                weight = {False: 1.0, True: ratio ** self.settings.class_balance}
            # A fixed seed for liblinear's shuffling: the same rows give the same model.
            model = LogisticRegression(C=self.settings.c, solver="liblinear", dual=True,
                                       class_weight=weight, random_state=0)
            model.fit(matrix, target)
            coef[row] = model.coef_[0]
            self.intercept[row] = model.intercept_[0]

        # One at a time: liblinear draws its coordinate order from the C library's
        # process-wide rand(), so fits in parallel threads interleave their draws and the
        # same rows gave a different model at every rebuild, seeded or not.
        for row in range(len(trained)):
            fit_one(row)
        self.coef = np.ascontiguousarray(coef.T)

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def add(self, *, text: str, fields: str = "", item_id: int,
            skills: Iterable[int]) -> None:
        """A newly tagged item becomes a neighbour now (the vocabulary and the classifier
        stay as fitted); an item already in the index is replaced."""
        row = self.features([text], [fields])
        keep = self.item_ids != item_id
        if not keep.all():
            self.matrix = self.matrix[keep]
            self.skills = [s for s, k in zip(self.skills, keep.tolist(), strict=True) if k]
            self.item_ids = self.item_ids[keep]
            self.neighbour_search().kept(keep)
        self.matrix = sparse.vstack([self.matrix, row], format="csr")
        self.neighbour_search().appended(row)
        self.item_ids = np.append(self.item_ids, np.int64(item_id))
        self.skills.append(tuple(sorted(skills)))
        cached = self.__dict__.get("_skills_by_item")
        if cached is not None:  # kept, not rebuilt from every item at the next prediction
            cached[item_id] = self.skills[-1]

    def neighbours(self, texts: Sequence[str], *, k: int, min_similarity: float,
                   fields: Sequence[str] | None = None) -> list[list[Neighbour]]:
        """For each text, up to ``k`` tagged items with cosine ≥ ``min_similarity``, most
        similar first (ties by item id, so results are reproducible)."""
        result: list[list[Neighbour]] = []
        size = self.neighbour_search().chunk
        for start in range(0, len(texts), size):
            chunk = slice(start, start + size)
            queries = self.features(texts[chunk], fields[chunk] if fields else None)
            result.extend(self._neighbours(queries, k, min_similarity))
        return result

    def neighbour_search(self) -> NeighbourSearch:
        if self.search is None:  # an index pickled before searches were a part
            self.search = BruteForce()
        return self.search

    def _neighbours(self, queries, k: int, min_similarity: float) -> list[list[Neighbour]]:
        products = self.neighbour_search().similarities(self.matrix, queries, k=k,
                                                        min_similarity=min_similarity)
        return self._top(products, k)

    def _top(self, products: _sparse.csr_matrix, k: int) -> list[list[Neighbour]]:
        """The best ``k`` columns of each row, vectorised: one sort over every candidate."""
        counts = np.diff(products.indptr)
        rows = np.repeat(np.arange(products.shape[0]), counts)
        ids = self.item_ids[products.indices]
        order = np.lexsort((ids, -products.data, rows))
        rank = np.arange(order.size) - products.indptr[rows[order]]
        chosen = order[rank < k]
        chosen_rows = rows[chosen]
        bounds = np.searchsorted(chosen_rows, np.arange(products.shape[0] + 1))
        sims = np.round(products.data[chosen].astype(np.float64), 4).tolist()
        chosen_ids = ids[chosen].tolist()
        return [list(zip(chosen_ids[lo:hi], sims[lo:hi], strict=True))
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]

    def predict(self, texts: Sequence[str], *, fields: Sequence[str] | None = None,
                agents: Sequence[int | None] | None = None,
                min_probability: float | None = None) -> list[list[Prediction]]:
        """For each item, the skills whose combined probability is at least
        ``min_probability`` (the settings' when None), most probable first (at most
        ``max_skills``). An item without a single known word or field gets none."""
        s = self.settings
        floor = s.min_probability if min_probability is None else min_probability
        agents = list(agents) if agents is not None else [None] * len(texts)
        skills_of = self.skills_by_item()
        result: list[list[Prediction]] = []
        size = self.neighbour_search().chunk
        for start in range(0, len(texts), size):
            chunk = slice(start, start + size)
            queries = self.features(texts[chunk], fields[chunk] if fields else None)
            found = self._neighbours(queries, s.neighbours, s.similarity_threshold)
            classified = None
            if s.classifier_weight > 0 and len(self.skill_ids):
                logits = queries @ self.coef + self.intercept
                classified = 1 / (1 + np.exp(-np.asarray(logits, dtype=np.float64)))
            known = np.diff(queries.indptr) > 0
            for row, near in enumerate(found):
                if not known[row]:  # no known word or field: nothing to go on
                    result.append([])
                    continue
                result.append(self._combined(
                    near, skills_of, None if classified is None else classified[row],
                    agents[start + row], floor))
        return result

    def _combined(self, near: list[Neighbour], skills_of, classified, agent,
                  floor: float) -> list[Prediction]:
        s = self.settings
        probability: dict[int, float] = {}
        support: dict[int, list[Neighbour]] = {}
        total = s.neighbours if s.vote_by_mass else sum(sim for _, sim in near)
        for item_id, sim in near:
            for skill_id in skills_of.get(item_id, ()):
                probability[skill_id] = probability.get(skill_id, 0.0) + sim / total
                support.setdefault(skill_id, []).append((item_id, sim))
        if classified is not None:
            w = s.classifier_weight
            probability = {k: (1 - w) * v for k, v in probability.items()}
            present = np.flatnonzero(classified * w > 1e-4)
            for skill_id, p in zip(self.skill_ids[present].tolist(),
                                   classified[present].tolist(), strict=True):
                probability[skill_id] = probability.get(skill_id, 0.0) + w * p
        history = self.agent_counts.get(agent) if agent is not None else None
        if s.agent_prior > 0:
            a = s.agent_prior
            probability = {k: (1 - a) * v for k, v in probability.items()}
            if history:
                seen = sum(history.values())
                for skill_id, n in history.items():
                    probability[skill_id] = probability.get(skill_id, 0.0) + a * n / seen
        predictions = [Prediction(skill_id, round(p, 4), support.get(skill_id, []))
                       for skill_id, p in probability.items() if p >= floor]
        predictions.sort(key=lambda p: (-p.score, p.skill_id))
        return predictions[:s.max_skills] if s.max_skills > 0 else predictions

    def skills_by_item(self) -> dict[int, tuple[int, ...]]:
        """Item id → skills (kept between predictions; :meth:`add` updates it)."""
        cached = self.__dict__.get("_skills_by_item")
        if cached is None or len(cached) != len(self.skills):
            cached = dict(zip(self.item_ids.tolist(), self.skills, strict=True))
            self.__dict__["_skills_by_item"] = cached
        return cached

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_skills_by_item", None)
        return state

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> TextIndex:
        # Only ever our own pickle, read back from our own database row.
        return pickle.loads(blob)  # noqa: S301


def predict(neighbours: list[Neighbour], skills_of: dict[int, tuple[int, ...]], *,
            min_score: float) -> list[Prediction]:
    """The neighbour vote alone: skills the neighbours needed, each scored by the share of
    the neighbours' similarity that needed it; those scoring at least ``min_score``, best
    first."""
    total = sum(sim for _, sim in neighbours)
    if total <= 0:
        return []
    weight: dict[int, float] = {}
    support: dict[int, list[Neighbour]] = {}
    for item_id, sim in neighbours:
        for skill_id in skills_of.get(item_id, ()):
            weight[skill_id] = weight.get(skill_id, 0.0) + sim
            support.setdefault(skill_id, []).append((item_id, sim))
    predictions = [
        Prediction(skill_id, round(w / total, 4), support[skill_id])
        for skill_id, w in weight.items() if w / total >= min_score
    ]
    predictions.sort(key=lambda p: (-p.score, p.skill_id))
    return predictions
