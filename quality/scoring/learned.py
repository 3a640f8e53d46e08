"""The learned scorer: a scikit-learn pipeline per attribute that answers it from what the
agent said (TF-IDF over the agent's turns + logistic regression with balanced classes).

Training data, hold-out and bookkeeping are :mod:`quality.services.training`'s; this module
only fits, serializes and predicts. A scale attribute predicts the scale value (one class
per value seen in training).
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # scikit-learn is imported where a pipeline is fitted or unpickled
    from sklearn.pipeline import Pipeline

from .rules import ScorerAnswer

_LOADED: OrderedDict[tuple, Pipeline] = OrderedDict()
_LOADED_MAX = 256


def agent_text(turns: Sequence[Mapping]) -> str:
    """What the agent said, one turn per line."""
    return "\n".join(str(turn.get("text") or "") for turn in turns
                     if turn.get("speaker") == "agent")


def fit(texts: Sequence[str], labels: Sequence[int], *, seed: int = 0) -> Pipeline:
    """A fitted pipeline; needs at least two distinct labels."""
    # Imported here, not at module level: web workers start without scikit-learn.
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import Pipeline  # noqa: PLC0415

    pipeline = Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                                  strip_accents="unicode")),
        ("classify", LogisticRegression(class_weight="balanced", max_iter=1000,
                                        random_state=seed)),
    ])
    pipeline.fit(list(texts), list(labels))
    return pipeline


def dumps(pipeline: Pipeline) -> bytes:
    return pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)


def load(scorer) -> Pipeline:
    """The pipeline of a :class:`quality.models.LearnedScorer`, unpickled once per process
    and version. (The pickle is written only by our own training service.)"""
    key = (scorer.pk, scorer.version, scorer.trained_at)
    pipeline = _LOADED.get(key)
    if pipeline is None:
        pipeline = pickle.loads(bytes(scorer.model))  # noqa: S301 (our own training output)
        _LOADED[key] = pipeline
        if len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return pipeline


def predict(pipeline: Pipeline, text: str) -> ScorerAnswer:
    """The predicted value for one interaction's agent text (no evidence: the whole text
    decided it)."""
    return ScorerAnswer(int(pipeline.predict([text])[0]), [])
