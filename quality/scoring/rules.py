"""The rule scorer: answers an attribute from its automatic rule (``Attribute.auto``) and a
transcript, and keeps the turns that decided it as evidence.

Rules (normalized by :func:`quality.scoring.rule_specs.validate_rule`):

- ``agent_says`` / ``agent_never_says`` — ``phrases`` in the agent's turns, optionally only
  ``within_first_turns`` / ``within_last_turns`` (counted over the *agent's* turns);
  ``regex: true`` reads the phrases as
  regular expressions. Yes when a turn says one (evidence: the first such turn) / yes when no
  turn does (no: every offending turn is evidence). N/A without agent turns in the window.
- ``handle_time_at_most`` — ``seconds``; the work item's handle time, else the offset of
  the last turn that has one; N/A when neither is known.
- ``customer_negative_then_agent_says`` — after each negative customer turn (VADER compound
  ≤ −0.05), one of the agent's next ``within_turns`` (default 2) turns says a phrase.
  Evidence: each negative turn with the agent's reply that answered it (yes), or with the
  replies that did not (no). A negative turn after which the agent never spoke again is
  left out (nothing could answer it); N/A when no negative turn is left.
- ``silence_at_most`` — ``seconds``: the longest gap between consecutive turns' offsets
  (evidence: the two turns around it); N/A with fewer than two offsets.
- ``sentiment_at_least`` — ``threshold``: the mean compound score of the customer's last 3
  turns (evidence: those turns); N/A without customer turns.
- ``learned`` — answered only by the learned scorer; the rule scorer leaves it unanswered.

Phrases match case-insensitively, on word boundaries ("sorry" is not found in "sorrynot"),
with any run of spaces matching any whitespace and typographic apostrophes read as ``'``.
Compiled rules are cached per attribute (a scorecard version's attributes do not change
once it has evaluations), so a worker compiles each rule once.
"""

import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .rule_specs import validate_rule
from .sentiment import compound, is_negative

NA = "na"
DEFAULT_WITHIN_TURNS = 2
SENTIMENT_LAST_TURNS = 3
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


class RuleError(ValueError):
    """A rule that cannot be evaluated (unknown rule, bad phrase or regex)."""


class ScorerAnswer(NamedTuple):
    """One scorer's answer: ``value`` is the stored value (1/0, 0…N on a scale) or
    ``"na"``; ``evidence`` the turn indexes that decided it."""

    value: int | str
    evidence: list[int]


class Conversation:
    """A transcript prepared once for every rule of a scorecard: normalized texts, the
    agent's and the customer's turn indexes, and customer sentiment computed on demand."""

    __slots__ = ("_compounds", "agent", "customer", "handle_time", "offsets", "texts", "turns")

    def __init__(self, turns: Sequence[Mapping], *, handle_time: float | None = None):
        self.turns = list(turns)
        self.texts = [str(turn.get("text") or "").translate(_QUOTES) for turn in self.turns]
        speakers = [turn.get("speaker") for turn in self.turns]
        self.agent = [i for i, s in enumerate(speakers) if s == "agent"]
        self.customer = [i for i, s in enumerate(speakers) if s == "customer"]
        self.offsets: list[tuple[int, float]] = []
        for i, turn in enumerate(self.turns):
            at = turn.get("at")
            if isinstance(at, int | float) and not isinstance(at, bool):
                self.offsets.append((i, float(at)))
        self.handle_time = handle_time
        self._compounds: dict[int, float] = {}

    def compound(self, index: int) -> float:
        score = self._compounds.get(index)
        if score is None:
            score = self._compounds[index] = compound(self.texts[index])
        return score

    def sentiment(self) -> float | None:
        """The mean compound score of the customer's turns (``None`` without any)."""
        if not self.customer:
            return None
        return round(sum(self.compound(i) for i in self.customer) / len(self.customer), 4)


def phrase_pattern(phrases: Iterable[str], *, regex: bool = False) -> re.Pattern:
    """One case-insensitive pattern matching any of ``phrases`` (on word boundaries unless
    they are regular expressions)."""
    parts = []
    for phrase in phrases:
        phrase = str(phrase).translate(_QUOTES).strip()
        if not phrase:
            continue
        if regex:
            parts.append(f"(?:{phrase})")
            continue
        body = r"\s+".join(re.escape(word) for word in phrase.split())
        start = r"(?<!\w)" if re.match(r"\w", phrase) else ""
        end = r"(?!\w)" if re.search(r"\w$", phrase) else ""
        parts.append(f"{start}{body}{end}")
    if not parts:
        raise RuleError("The rule has no phrases.")
    try:
        return re.compile("|".join(parts), re.IGNORECASE)
    except re.error as error:
        raise RuleError(f"A phrase is not a valid regular expression: {error}.") from error


def normalize(raw: Mapping) -> dict:
    """The rule as :func:`quality.scoring.rule_specs.validate_rule` normalizes it."""
    try:
        return validate_rule(dict(raw))
    except ValueError as error:
        raise RuleError(str(error)) from error


@dataclass(frozen=True)
class CompiledRule:
    rule: str
    pattern: re.Pattern | None = None
    first_turns: int | None = None
    last_turns: int | None = None
    seconds: float | None = None
    within_turns: int = DEFAULT_WITHIN_TURNS
    threshold: float = 0.0

    def evaluate(self, conversation: Conversation) -> ScorerAnswer | None:
        """The answer (1, 0 or "na") with its evidence; ``None`` for rules this scorer
        does not answer (``learned``)."""
        method = getattr(self, f"_{self.rule}", None)
        if method is None:
            return None
        return method(conversation)

    # --- the rules ----------------------------------------------------------------------

    def _window(self, c: Conversation) -> list[int]:
        turns = c.agent
        if self.first_turns is not None:
            turns = turns[:self.first_turns]
        elif self.last_turns is not None:
            turns = turns[-self.last_turns:]
        return turns

    def _agent_says(self, c: Conversation) -> ScorerAnswer:
        window = self._window(c)
        if not window:
            return ScorerAnswer(NA, [])
        search = self.pattern.search
        for i in window:
            if search(c.texts[i]):
                return ScorerAnswer(1, [i])
        return ScorerAnswer(0, [])

    def _agent_never_says(self, c: Conversation) -> ScorerAnswer:
        window = self._window(c)
        if not window:
            return ScorerAnswer(NA, [])
        search = self.pattern.search
        offending = [i for i in window if search(c.texts[i])]
        return ScorerAnswer(0, offending) if offending else ScorerAnswer(1, [])

    def _handle_time_at_most(self, c: Conversation) -> ScorerAnswer:
        evidence: list[int] = []
        seconds = c.handle_time
        if seconds is None and c.offsets:
            last, seconds = c.offsets[-1]
            evidence = [last]
        if seconds is None:
            return ScorerAnswer(NA, [])
        return ScorerAnswer(int(seconds <= self.seconds), evidence)

    def _customer_negative_then_agent_says(self, c: Conversation) -> ScorerAnswer:
        search = self.pattern.search
        answered: list[int] = []
        missed: list[int] = []
        for i in c.customer:
            if not is_negative(c.compound(i)):
                continue
            replies = [j for j in c.agent if j > i][:self.within_turns]
            if not replies:
                continue
            match = next((j for j in replies if search(c.texts[j])), None)
            if match is None:
                missed.extend([i, *replies])
            else:
                answered.extend([i, match])
        if missed:
            return ScorerAnswer(0, sorted(set(missed)))
        if answered:
            return ScorerAnswer(1, sorted(set(answered)))
        return ScorerAnswer(NA, [])

    def _silence_at_most(self, c: Conversation) -> ScorerAnswer:
        if len(c.offsets) < 2:
            return ScorerAnswer(NA, [])
        longest, around = -1.0, [0, 0]
        for (before, at_before), (after, at_after) in zip(c.offsets, c.offsets[1:], strict=False):
            gap = at_after - at_before
            if gap > longest:
                longest, around = gap, [before, after]
        return ScorerAnswer(int(longest <= self.seconds), around)

    def _sentiment_at_least(self, c: Conversation) -> ScorerAnswer:
        last = c.customer[-SENTIMENT_LAST_TURNS:]
        if not last:
            return ScorerAnswer(NA, [])
        mean = sum(c.compound(i) for i in last) / len(last)
        return ScorerAnswer(int(mean >= self.threshold), last)


PHRASE_RULES = {"agent_says", "agent_never_says", "customer_negative_then_agent_says"}
KNOWN_RULES = PHRASE_RULES | {"handle_time_at_most", "silence_at_most", "sentiment_at_least",
                              "learned"}


def _number(rule: Mapping, key: str) -> float | None:
    value = rule.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(f"“{key}” must be a number; got {value!r}.")
    return value


def compile_rule(raw: Mapping) -> CompiledRule:
    """A rule ready to evaluate, or :class:`RuleError`."""
    rule = normalize(raw)
    name = rule.get("rule")
    if name not in KNOWN_RULES:
        raise RuleError(f"Unknown rule “{name}”.")
    pattern = None
    if name in PHRASE_RULES:
        phrases = rule.get("phrases") or []
        if isinstance(phrases, str):
            phrases = [phrases]
        pattern = phrase_pattern(phrases, regex=bool(rule.get("regex")))
    if name in ("handle_time_at_most", "silence_at_most") and _number(rule, "seconds") is None:
        raise RuleError(f"The rule “{name}” needs “seconds”.")
    first = _number(rule, "within_first_turns")
    last = _number(rule, "within_last_turns")
    within = _number(rule, "within_turns")
    return CompiledRule(
        rule=name, pattern=pattern,
        first_turns=None if first is None else int(first),
        last_turns=None if last is None else int(last),
        seconds=_number(rule, "seconds"),
        within_turns=DEFAULT_WITHIN_TURNS if within is None else int(within),
        threshold=_number(rule, "threshold") or 0.0,
    )


def evaluate(rule: Mapping, turns: Sequence[Mapping], *,
             handle_time: float | None = None) -> tuple[int | str, list[int]] | None:
    """Evaluate one rule against a transcript: ``(1 | 0 | "na", evidence)``, or ``None``
    for a rule the rule scorer does not answer."""
    return compile_rule(rule).evaluate(Conversation(turns, handle_time=handle_time))


class RuleScorer:
    """Answers every attribute that has a rule, from one prepared conversation.

    ``name`` is recorded with each answer; bump it when the engine's answers change.
    """

    name = "rules:1"

    def __init__(self, *, cache_size: int = 10_000):
        self._cache: OrderedDict[tuple[Any, str], CompiledRule | RuleError] = OrderedDict()
        self._cache_size = cache_size

    def compiled(self, attribute) -> CompiledRule | None:
        """The attribute's compiled rule (cached by attribute id and rule), ``None`` without
        one; raises :class:`RuleError` for a bad rule."""
        if not attribute.auto:
            return None
        key = (attribute.pk, json.dumps(attribute.auto, sort_keys=True, default=str))
        found = self._cache.get(key)
        if found is None:
            try:
                found = compile_rule(attribute.auto)
            except RuleError as error:
                found = error
            self._cache[key] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        if isinstance(found, RuleError):
            raise found
        return found

    def score(self, attributes: Iterable, conversation: Conversation
              ) -> tuple[dict[str, ScorerAnswer], dict[str, str]]:
        """``({attribute key: answer}, {attribute key: error})`` for the attributes whose
        rule this scorer answers. A scale attribute's yes is its top value, no is 0."""
        answers: dict[str, ScorerAnswer] = {}
        errors: dict[str, str] = {}
        for attribute in attributes:
            try:
                compiled = self.compiled(attribute)
                answer = compiled.evaluate(conversation) if compiled is not None else None
            except Exception as error:  # one bad rule never stops the others
                errors[attribute.key] = str(error) or error.__class__.__name__
                continue
            if answer is None:
                continue
            if answer.value == 1 and attribute.scale_max:
                answer = ScorerAnswer(attribute.scale_max, answer.evidence)
            answers[attribute.key] = answer
        return answers, errors


RULES = RuleScorer()
