"""Neighbour search for the recommender: the tagged rows most similar to each query.

A replaceable part of :class:`skills.recommender.TextIndex`: a search is given the index's
L2-normalised tagged matrix and a chunk of normalised query rows, and returns a sparse
(queries × tagged rows) matrix of **exact** cosine similarities ≥ ``min_similarity`` for
the rows it looked at; the index keeps the ``k`` best of each row. What differs between
searches is which rows are looked at:

- :class:`BruteForce` (up to :data:`EXACT_MAX_ROWS` tagged rows): every row, one sparse
  product per chunk of queries. Its cost grows with tagged rows × queries, so a full
  rebuild grows with the square of the data.
- :class:`Clustered` (above): an inverted file of clusters in the same sparse space. About
  one leader per ``CLUSTER_SIZE`` tagged rows is drawn at random (fixed seed) and moved
  ``KMEANS_ROUNDS`` times to the mean of the rows nearest to it (spherical k-means; a
  centroid keeps its ``CENTROID_TERMS`` strongest terms, so a query meets few of them);
  every row belongs to its most similar centroid. A query compares itself with the
  centroids, then exactly with every row of its ``PROBES`` nearest clusters only. A
  query's work no longer grows with the data, so the rebuild grows about linearly; a true
  neighbour in a cluster not visited is missed, and the similarities returned are always
  the real ones.

Both are deterministic (fixed seeds): the same rows give the same neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tenancy.lazy import lazy_module

np = lazy_module("numpy")
sparse = lazy_module("scipy.sparse")

EXACT_MAX_ROWS = 50_000  # tagged rows up to which the search is exact (brute force)
CLUSTER_SIZE = 256  # tagged rows per cluster, on average
PROBES = 8  # clusters a query visits
KMEANS_ROUNDS = 1  # rounds moving the leaders to their rows' mean
CENTROID_TERMS = 64  # strongest terms a centroid keeps (a query meets few centroids)
ASSIGN_CHUNK = 8192  # rows compared with the centroids per product (bounds memory)


class NeighbourSearch(Protocol):
    chunk: int  # queries per call that keeps memory bounded

    def similarities(self, matrix, queries, *, k: int, min_similarity: float):
        """Sparse (queries × rows) exact cosines ≥ ``min_similarity`` of the rows looked
        at (at least the ``k`` best a query can find)."""

    def appended(self, rows) -> None:
        """``rows`` (normalised) were appended at the end of the tagged matrix."""

    def kept(self, keep) -> None:
        """Only the tagged rows where the boolean array ``keep`` is true remain."""


def neighbour_search(matrix) -> NeighbourSearch:
    """The search for this tagged matrix: exact up to :data:`EXACT_MAX_ROWS` rows."""
    if matrix.shape[0] <= EXACT_MAX_ROWS or matrix.shape[1] < 2:
        return BruteForce()
    return Clustered.fit(matrix)


@dataclass
class BruteForce:
    chunk: int = 2048

    def similarities(self, matrix, queries, *, k: int, min_similarity: float):
        # The tagged matrix times the few queries' transpose: no copy of the tagged matrix.
        products = (matrix @ queries.T.tocsc()).T.tocsr()
        products.data[products.data < min_similarity] = 0
        products.eliminate_zeros()
        return products

    def appended(self, rows) -> None:
        pass

    def kept(self, keep) -> None:
        pass


def _unit_rows(matrix):
    """Sparse rows scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return (sparse.diags((1 / norms).astype(np.float32)) @ matrix).astype(np.float32).tocsr()


@dataclass
class Clustered:
    centroids: object  # (clusters, features) sparse, unit rows
    assignment: np.ndarray  # cluster of each tagged row (int32)
    chunk: int = 16_384
    probes: int = PROBES
    # Tagged rows ordered by cluster, rebuilt when needed (not pickled).
    _groups: tuple | None = field(default=None, repr=False)

    @classmethod
    def fit(cls, matrix, *, cluster_size: int = CLUSTER_SIZE, probes: int = PROBES,
            seed: int = 0) -> Clustered:
        """Leaders drawn at random, then ``KMEANS_ROUNDS`` rounds of moving each to the mean
        of its rows; every row to its most similar centroid."""
        rows = matrix.shape[0]
        clusters = max(1, rows // cluster_size)
        rng = np.random.default_rng(seed)
        centroids = matrix[np.sort(rng.choice(rows, clusters, replace=False))]
        for _ in range(KMEANS_ROUNDS):
            nearest = _nearest(matrix, centroids)
            members = sparse.csr_matrix(
                (np.ones(rows, np.float32), (nearest, np.arange(rows))),
                shape=(clusters, rows))
            centroids = _unit_rows(_strongest(members @ matrix, CENTROID_TERMS))
        return cls(centroids, _nearest(matrix, centroids).astype(np.int32), probes=probes)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_groups"] = None
        return state

    def _grouped(self, matrix):
        """(order, bounds, tagged rows in cluster order)."""
        if self._groups is None or self._groups[2].shape[0] != matrix.shape[0]:
            order = np.argsort(self.assignment, kind="stable")
            bounds = np.searchsorted(self.assignment[order],
                                     np.arange(self.centroids.shape[0] + 1))
            self._groups = (order, bounds, matrix[order])
        return self._groups

    def similarities(self, matrix, queries, *, k: int, min_similarity: float):
        order, bounds, grouped = self._grouped(matrix)
        count = queries.shape[0]
        clusters = self.centroids.shape[0]
        probes = min(self.probes, clusters)
        closeness = (queries @ self.centroids.T).toarray()
        if probes < clusters:
            probe = np.argpartition(-closeness, probes - 1, axis=1)[:, :probes]
        else:
            probe = np.tile(np.arange(clusters), (count, 1))
        visits = probe.ravel()
        by_cluster = np.argsort(visits, kind="stable")
        starts = np.searchsorted(visits[by_cluster], np.arange(clusters + 1))
        found_rows, found_cols, found_sims = [], [], []
        for cluster in np.flatnonzero(np.diff(starts)).tolist():
            lo, hi = bounds[cluster], bounds[cluster + 1]
            if lo == hi:
                continue
            rows = by_cluster[starts[cluster]:starts[cluster + 1]] // probes
            near = (queries[rows] @ grouped[lo:hi].T).toarray()
            floor = np.float32(max(min_similarity, 1e-12))
            if k < hi - lo:  # the k best of the cluster, and any tied with the k-th
                kth = np.partition(near, hi - lo - k, axis=1)[:, hi - lo - k]
                floor = np.maximum(kth, floor)[:, None]
            hit_rows, hit_cols = np.nonzero(near >= floor)
            found_rows.append(rows[hit_rows])
            found_cols.append(order[lo + hit_cols])
            found_sims.append(near[hit_rows, hit_cols])
        if not found_rows:
            return sparse.csr_matrix((count, matrix.shape[0]), dtype=np.float32)
        return sparse.csr_matrix(
            (np.concatenate(found_sims), (np.concatenate(found_rows),
                                          np.concatenate(found_cols))),
            shape=(count, matrix.shape[0]), dtype=np.float32)

    def appended(self, rows) -> None:
        self.assignment = np.append(self.assignment,
                                    _nearest(rows, self.centroids).astype(np.int32))
        self._groups = None

    def kept(self, keep) -> None:
        self.assignment = self.assignment[keep]
        self._groups = None


def _strongest(matrix, terms: int):
    """Each row's ``terms`` largest entries (ties by column), the rest dropped."""
    matrix = matrix.tocsr()
    keep = np.zeros(matrix.nnz, dtype=bool)
    for row in range(matrix.shape[0]):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        if hi - lo <= terms:
            keep[lo:hi] = True
        else:
            keep[lo + np.argsort(-matrix.data[lo:hi], kind="stable")[:terms]] = True
    data = np.where(keep, matrix.data, 0).astype(np.float32)
    result = sparse.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)
    result.eliminate_zeros()
    return result


def _nearest(rows, centroids):
    """The most similar centroid of each row (a row sharing no term with any: the
    cluster of its position, so such rows spread evenly), in bounded chunks."""
    count = centroids.shape[0]
    out = np.empty(rows.shape[0], dtype=np.int64)
    transposed = centroids.T.tocsc()
    for start in range(0, rows.shape[0], ASSIGN_CHUNK):
        block = (rows[start:start + ASSIGN_CHUNK] @ transposed).toarray()
        best = np.argmax(block, axis=1)
        empty = block[np.arange(len(best)), best] <= 0
        best[empty] = (start + np.flatnonzero(empty)) % count
        out[start:start + ASSIGN_CHUNK] = best
    return out
