"""The recommender's text index: which tagged work items an untagged one resembles.

Pure computation, no database: :mod:`skills.services.recommendations` feeds it rows and
stores what it returns. The index is a TF-IDF model fitted on the text of the tagged
resolved items (their skills are known), L2-normalised so a sparse dot product is the
cosine similarity. An untagged item's skills are predicted from its nearest tagged
neighbours above the similarity threshold, each skill weighted by the similarity of the
neighbours that needed it.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenancy.lazy import lazy_module

if TYPE_CHECKING:
    from scipy import sparse as _sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

# The scientific stack is imported on first use (fitting, predicting, unpickling an index),
# so web workers, which import this module through the services, start without it.
np = lazy_module("numpy")
sparse = lazy_module("scipy.sparse")

QUERY_CHUNK = 2048  # untagged items scored per sparse product (bounds memory)

Neighbour = tuple[int, float]  # (work item id, cosine similarity)


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


@dataclass
class TextIndex:
    vectorizer: TfidfVectorizer
    matrix: _sparse.csr_matrix  # one L2-normalised row per tagged item
    item_ids: np.ndarray
    skills: list[tuple[int, ...]]  # skill ids of each row

    @classmethod
    def fit(cls, *, texts: Sequence[str], item_ids: Sequence[int],
            skills: Sequence[Iterable[int]]) -> TextIndex | None:
        """Fit on the tagged items; None when there is nothing to learn from (no tagged
        item, or no word in any of them)."""
        if not texts:
            return None
        from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415

        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                     dtype=np.float32, max_features=200_000)
        try:
            matrix = vectorizer.fit_transform(texts).tocsr()
        except ValueError:  # empty vocabulary: every text is empty or stop words
            return None
        return cls(vectorizer, matrix, np.asarray(item_ids, dtype=np.int64),
                   [tuple(sorted(s)) for s in skills])

    def __len__(self) -> int:
        return self.matrix.shape[0]

    def neighbours(self, texts: Sequence[str], *, k: int,
                   min_similarity: float) -> list[list[Neighbour]]:
        """For each text, up to ``k`` tagged items with cosine ≥ ``min_similarity``, most
        similar first (ties by item id, so results are reproducible)."""
        result: list[list[Neighbour]] = []
        transposed = self.matrix.T.tocsc()
        for start in range(0, len(texts), QUERY_CHUNK):
            queries = self.vectorizer.transform(texts[start:start + QUERY_CHUNK])
            products = (queries @ transposed).tocsr()
            products.data[products.data < min_similarity] = 0
            products.eliminate_zeros()
            result.extend(self._top(products, k))
        return result

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

    def skills_by_item(self) -> dict[int, tuple[int, ...]]:
        return dict(zip(self.item_ids.tolist(), self.skills, strict=True))

    def dumps(self) -> bytes:
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(blob: bytes) -> TextIndex:
        # Only ever our own pickle, read back from our own database row.
        return pickle.loads(blob)  # noqa: S301


@dataclass(frozen=True)
class Prediction:
    skill_id: int
    score: float
    neighbours: list[Neighbour]  # the neighbours that needed this skill


def predict(neighbours: list[Neighbour], skills_of: dict[int, tuple[int, ...]], *,
            min_score: float) -> list[Prediction]:
    """Skills the neighbours needed, each scored by the share of the neighbours'
    similarity that needed it; those scoring at least ``min_score``, best first."""
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
