"""The customer's sentiment in a transcript, with VADER (a lexicon shipped in the
``vaderSentiment`` package: no download, no outside service).

A turn's score is VADER's *compound* score, −1 (very negative) … 1 (very positive); the
usual reading is negative at ≤ −0.05 and positive at ≥ 0.05. An interaction's sentiment is
the mean compound score of the customer's turns.
"""

from collections.abc import Iterable, Mapping
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEGATIVE_AT_MOST = -0.05


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    """One analyzer per process: loading the lexicon takes a while."""
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER's compound score of one text, −1 … 1 (0 for empty text)."""
    if not text or not text.strip():
        return 0.0
    return analyzer().polarity_scores(text)["compound"]


def is_negative(score: float) -> bool:
    return score <= NEGATIVE_AT_MOST


def customer_sentiment(turns: Iterable[Mapping]) -> float | None:
    """The mean compound score of the customer's turns, rounded to 4 places; ``None``
    without customer turns."""
    scores = [compound(str(turn.get("text") or "")) for turn in turns
              if turn.get("speaker") == "customer"]
    if not scores:
        return None
    return round(sum(scores) / len(scores), 4)
