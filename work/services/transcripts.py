"""Interactions: the checks of the queue, topic and transcript that ingest receives.

A transcript is the list of turns the API takes and returns, ``{"speaker": "agent" |
"customer" | "system", "text": "…", "at": <seconds from the start, optional>}``. The same
checks, with the same field-named messages, serve the API, the CSV import (a JSON cell)
and the JSON-lines import (:mod:`work.services.transcript_import`).
"""

import json
import math
from collections.abc import Mapping
from typing import Any

from tenancy.validation import BadValue, check_text

from ..enums import INTERACTION_KINDS, Speaker, WorkKind
from .cleaning import ItemError

MAX_TURNS = 2_000
MAX_TURN_TEXT = 10_000
MAX_PROBLEMS_LISTED = 20  # per transcript, so 2,000 bad turns do not drown the answer
TURN_KEYS = ("speaker", "text", "at")
SPEAKERS = tuple(Speaker.values)
INTERACTION_TEXT_FIELDS = {"queue": 100, "topic": 200}
INTERACTION_FIELDS = frozenset({*INTERACTION_TEXT_FIELDS, "transcript"})


def _kinds_sentence() -> str:
    labels = [WorkKind(kind).label.lower() for kind in sorted(INTERACTION_KINDS)]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def not_an_interaction_message(kind: str) -> str:
    return (f"Only interactions (a {_kinds_sentence()}) have a transcript; this item is "
            f"{_article(kind)} {WorkKind(kind).label.lower()}.")


def _article(kind: str) -> str:
    return "an" if WorkKind(kind).label[0].lower() in "aeiou" else "a"


# --- checking ---------------------------------------------------------------------------


def _turn_problems(position: int, turn: Any) -> tuple[dict | None, list[tuple[str, str]]]:
    where = f"transcript[{position}]"
    if not isinstance(turn, Mapping):
        return None, [(where, "Each turn is an object with speaker, text and (optional) at.")]
    problems = []
    for key in turn:
        if key not in TURN_KEYS:
            problems.append((f"{where}.{key}",
                             "Unknown field; a turn has speaker, text and (optional) at."))
    clean: dict[str, Any] = {}
    speaker = turn.get("speaker")
    if "speaker" not in turn:
        problems.append((f"{where}.speaker",
                         "Each turn needs a speaker: agent, customer or system."))
    elif not isinstance(speaker, str) or speaker not in SPEAKERS:
        shown = speaker if isinstance(speaker, str) else json.dumps(speaker)
        problems.append((f"{where}.speaker",
                         f"Unknown speaker “{shown[:40]}”: use agent, customer or system."))
    else:
        clean["speaker"] = speaker
    text = turn.get("text")
    if "text" not in turn:
        problems.append((f"{where}.text", "Each turn needs its text."))
    elif not isinstance(text, str):
        problems.append((f"{where}.text", "Expected text."))
    elif len(text) > MAX_TURN_TEXT:
        problems.append((f"{where}.text", f"A turn has at most {MAX_TURN_TEXT:,} characters "
                                          f"(this one has {len(text):,})."))
    elif not text.strip():
        problems.append((f"{where}.text", "A turn cannot be empty."))
    else:
        try:
            clean["text"] = check_text(text)
        except BadValue as error:
            problems.append((f"{where}.text", str(error)))
    at = turn.get("at")
    if at is not None:
        if isinstance(at, bool) or not isinstance(at, int | float):
            problems.append((f"{where}.at",
                             "Expected a number of seconds from the start of the interaction."))
        elif isinstance(at, float) and not math.isfinite(at):
            problems.append((f"{where}.at", "Expected a finite number of seconds."))
        elif at < 0:
            problems.append((f"{where}.at", f"{at} is negative: at counts seconds from the "
                                            f"start of the interaction (0 or more)."))
        else:
            clean["at"] = at
    return (None if problems else clean), problems


def check_transcript(value: Any) -> tuple[list[dict], list[tuple[str, str]]]:
    """The turns to store and the problems found, as ``(field, message)`` pairs.

    ``None`` and ``[]`` both mean "no transcript" (ingest removes a stored one). A turn's
    ``at`` may be left out or null; it is not required to grow from turn to turn.
    """
    if value is None:
        return [], []
    if not isinstance(value, list | tuple):
        return [], [("transcript", "Expected a list of turns ({\"speaker\", \"text\", "
                                   "\"at\"}), or [] to remove the transcript.")]
    if len(value) > MAX_TURNS:
        return [], [("transcript", f"A transcript has at most {MAX_TURNS:,} turns "
                                   f"(this one has {len(value):,}).")]
    turns, problems = [], []
    for position, raw in enumerate(value):
        turn, turn_problems = _turn_problems(position, raw)
        problems.extend(turn_problems)
        if turn is not None:
            turns.append(turn)
    if len(problems) > MAX_PROBLEMS_LISTED:
        more = len(problems) - MAX_PROBLEMS_LISTED
        problems = [*problems[:MAX_PROBLEMS_LISTED],
                    ("transcript", f"… and {more:,} more problems in this transcript.")]
    return turns, problems


def clean_interaction_fields(index: int, raw: Mapping) -> tuple[dict, list[ItemError]]:
    """Clean ``queue``, ``topic`` and ``transcript`` of one item (the rest is
    :func:`work.services.cleaning.clean_item`'s). ``transcript`` comes back as a list of
    turns, empty to remove the stored one."""
    data, errors = {}, []
    for name, max_length in INTERACTION_TEXT_FIELDS.items():
        if name not in raw:
            continue
        value = raw[name]
        if value is None:
            data[name] = ""
        elif not isinstance(value, str):
            errors.append(ItemError(index, name, "Expected text."))
        elif len(value) > max_length:
            errors.append(ItemError(
                index, name, f"At most {max_length} characters (this has {len(value)})."
            ))
        else:
            try:
                data[name] = check_text(value).strip()
            except BadValue as error:
                errors.append(ItemError(index, name, str(error)))
    if "transcript" in raw:
        turns, problems = check_transcript(raw["transcript"])
        errors.extend(ItemError(index, where, message) for where, message in problems)
        if not problems:
            data["transcript"] = turns
    return data, errors


__all__ = [
    "INTERACTION_FIELDS",
    "MAX_TURNS",
    "MAX_TURN_TEXT",
    "check_transcript",
    "clean_interaction_fields",
    "not_an_interaction_message",
]
