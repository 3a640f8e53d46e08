"""The schema of an attribute's automatic scoring rule (``Attribute.auto``): what each rule
takes, checked once here so the rule engine (:mod:`quality.scoring.rules`), the scorecard
services, the import command and the forms agree.

``validate_rule(raw)`` returns the normalized rule (keys in a fixed order, phrases stripped,
defaults that change behaviour filled in) or raises ``ValueError`` with a message a person
can act on. Normalizing twice gives the same dict, so an exported scorecard imports back
unchanged.

Rules and their options:

- ``agent_says`` / ``agent_never_says``: ``phrases`` (a non-empty list of non-empty texts,
  matched case-insensitively in agent turns); optional ``within_first_turns`` or
  ``within_last_turns`` (whole number ≥ 1, counted over agent turns; not both); optional
  ``regex: true`` (the phrases are regular expressions; they must compile).
- ``handle_time_at_most``: ``seconds`` (whole number ≥ 1).
- ``customer_negative_then_agent_says``: ``phrases`` (and ``regex`` as above); optional
  ``within_turns`` (whole number ≥ 1, default 2): after a negative customer turn, one of the
  agent's next ``within_turns`` turns must contain a phrase; N/A when no customer turn is
  negative.
- ``silence_at_most``: ``seconds`` (whole number ≥ 1): the longest gap between consecutive
  turn offsets.
- ``sentiment_at_least``: ``threshold`` (a number from −1 to 1): the customer's sentiment at
  the end.
- ``learned``: no options; only the learned scorer answers.
"""

import re
from typing import Any

DEFAULT_WITHIN_TURNS = 2
MAX_PHRASES = 100
MAX_PHRASE_LENGTH = 500

PHRASE_RULES = ("agent_says", "agent_never_says")
RULES = (
    "agent_says", "agent_never_says", "handle_time_at_most",
    "customer_negative_then_agent_says", "silence_at_most", "sentiment_at_least", "learned",
)

# The options each rule accepts, in the order the normalized rule lists them.
_OPTIONS: dict[str, tuple[str, ...]] = {
    "agent_says": ("phrases", "regex", "within_first_turns", "within_last_turns"),
    "agent_never_says": ("phrases", "regex", "within_first_turns", "within_last_turns"),
    "handle_time_at_most": ("seconds",),
    "customer_negative_then_agent_says": ("phrases", "regex", "within_turns"),
    "silence_at_most": ("seconds",),
    "sentiment_at_least": ("threshold",),
    "learned": (),
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole_at_least_one(rule: str, name: str, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise ValueError(f"rule “{rule}”: “{name}” must be a whole number of at least 1.")
    return value


def _phrases(rule: str, raw: Any, *, regex: bool) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"rule “{rule}”: “phrases” must be a non-empty list of texts.")
    if len(raw) > MAX_PHRASES:
        raise ValueError(f"rule “{rule}”: at most {MAX_PHRASES} phrases.")
    phrases = []
    for number, phrase in enumerate(raw, start=1):
        if not isinstance(phrase, str) or not phrase.strip():
            raise ValueError(f"rule “{rule}”: phrase {number} must be a non-empty text.")
        phrase = phrase.strip()
        if len(phrase) > MAX_PHRASE_LENGTH:
            raise ValueError(
                f"rule “{rule}”: phrase {number} is longer than {MAX_PHRASE_LENGTH} characters."
            )
        if regex:
            try:
                re.compile(phrase, re.IGNORECASE)
            except re.error as exc:
                raise ValueError(
                    f"rule “{rule}”: phrase {number} is not a valid regular expression ({exc})."
                ) from None
        phrases.append(phrase)
    return phrases


def validate_rule(raw: Any) -> dict:
    """The normalized rule for ``raw``; ``ValueError`` (a readable message) when it is not one.

    ``regex`` appears in the result only when true; ``within_first_turns`` /
    ``within_last_turns`` only when given; ``within_turns`` of
    ``customer_negative_then_agent_says`` is always present (default 2); ``threshold`` is a
    float.
    """
    if not isinstance(raw, dict):
        raise ValueError("an automatic rule must be an object with a “rule” name.")
    rule = raw.get("rule")
    if not isinstance(rule, str) or rule not in _OPTIONS:
        raise ValueError(
            f"unknown rule {rule!r}; use one of: {', '.join(RULES)}."
            if rule is not None else f"a rule needs a “rule” name, one of: {', '.join(RULES)}."
        )
    allowed = _OPTIONS[rule]
    unknown = sorted(k for k in raw if k != "rule" and k not in allowed)
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise ValueError(
            f"rule “{rule}” does not take “{unknown[0]}” (its options: {accepted})."
        )

    result: dict[str, Any] = {"rule": rule}
    if "phrases" in allowed:
        regex = raw.get("regex", False)
        if not isinstance(regex, bool):
            raise ValueError(f"rule “{rule}”: “regex” must be true or false.")
        result["phrases"] = _phrases(rule, raw.get("phrases"), regex=regex)
        if regex:
            result["regex"] = True

    if rule in PHRASE_RULES:
        first, last = raw.get("within_first_turns"), raw.get("within_last_turns")
        if first is not None and last is not None:
            raise ValueError(
                f"rule “{rule}”: give “within_first_turns” or “within_last_turns”, not both."
            )
        if first is not None:
            result["within_first_turns"] = _whole_at_least_one(rule, "within_first_turns", first)
        if last is not None:
            result["within_last_turns"] = _whole_at_least_one(rule, "within_last_turns", last)
    elif rule == "customer_negative_then_agent_says":
        within = raw.get("within_turns", DEFAULT_WITHIN_TURNS)
        result["within_turns"] = _whole_at_least_one(rule, "within_turns", within)
    elif rule in ("handle_time_at_most", "silence_at_most"):
        if "seconds" not in raw:
            raise ValueError(f"rule “{rule}” needs “seconds” (a whole number of at least 1).")
        result["seconds"] = _whole_at_least_one(rule, "seconds", raw["seconds"])
    elif rule == "sentiment_at_least":
        threshold = raw.get("threshold")
        if (not isinstance(threshold, (int, float)) or isinstance(threshold, bool)
                or threshold != threshold or not -1 <= threshold <= 1):
            raise ValueError(f"rule “{rule}” needs “threshold”, a number from -1 to 1.")
        result["threshold"] = float(threshold)
    return result


def validate_auto(raw: Any) -> dict | None:
    """``None`` for no automatic rule (``None`` or an empty object), else ``validate_rule``."""
    if raw is None or raw == {}:
        return None
    return validate_rule(raw)


def describe_rule(rule: dict | None) -> str:
    """A one-line reading of a (normalized) rule for people."""
    if not rule:
        return "Scored by hand only"
    name = rule.get("rule")
    kind = "patterns" if rule.get("regex") else "phrases"
    phrases = ", ".join(f"“{p}”" for p in rule.get("phrases", []))
    if name in PHRASE_RULES:
        verb = "says one of" if name == "agent_says" else "never says any of"
        where = ""
        if rule.get("within_first_turns"):
            where = f" within the first {rule['within_first_turns']} agent turns"
        elif rule.get("within_last_turns"):
            where = f" within the last {rule['within_last_turns']} agent turns"
        return f"Agent {verb} the {kind} {phrases}{where}"
    if name == "customer_negative_then_agent_says":
        return (f"After a negative customer turn, the agent's next {rule.get('within_turns')} "
                f"turns contain one of the {kind} {phrases} (N/A without a negative turn)")
    if name == "handle_time_at_most":
        return f"Handle time at most {rule['seconds']} s"
    if name == "silence_at_most":
        return f"No silence longer than {rule['seconds']} s between turns"
    if name == "sentiment_at_least":
        return f"Customer sentiment at the end at least {rule['threshold']:g}"
    if name == "learned":
        return "Learned scorer only (trained on audits)"
    return str(rule)
