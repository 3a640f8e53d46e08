"""An outside scorer behind an OpenAI-compatible chat-completions endpoint, configured per
tenant (``QualitySettings.provider``) and off by default.

One request per interaction: the scorecard's attributes (key, name, guidance, answer type)
and the numbered transcript; the reply must be a JSON object
``{attribute_key: {"answer": "yes" | "no" | "na" | <int>, "evidence": [<turn index>…]}}``
with an entry for every attribute asked. The reply is checked strictly: anything else (not
JSON, an unknown or missing attribute, an answer outside the attribute's type, evidence
that is not a turn of the transcript) raises :class:`ProviderError` and the caller records
it — the provider's answers are then missing for that interaction, nothing else changes.
Standard library only (``urllib.request``), with the tenant's timeout.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from .rules import NA, ScorerAnswer

INSTRUCTIONS = (
    "You review customer-service conversations for quality. For each attribute, decide "
    "whether the agent's behaviour in the transcript meets it. Answer with one JSON object "
    "and nothing else: a key per attribute key, each "
    '{"answer": "yes" | "no" | "na" (yes/no attributes) or a whole number 0..N (scale '
    'attributes) or "na", "evidence": [the numbers of the turns that decided it]}.'
)
MAX_REPLY_BYTES = 1_000_000


class ProviderError(Exception):
    """The provider could not be asked, or its reply was not usable."""


def scorer_name(settings) -> str:
    """The name the provider's answers are recorded under (agreement is per model)."""
    return f"provider:{settings.model or 'default'}"[:100]


def endpoint(url: str) -> str:
    """The chat-completions URL for a configured base URL (or the full URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProviderError("The provider URL must be an http:// or https:// address.")
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def _answer_type(attribute) -> str:
    return f"scale 0..{attribute.scale_max}" if attribute.scale_max else "yes/no"


def request_body(settings, attributes: Sequence, turns: Sequence[Mapping]) -> dict:
    content = {
        "attributes": [
            {"key": a.key, "name": a.name, "guidance": a.guidance, "answer": _answer_type(a),
             "na_allowed": a.na_allowed}
            for a in attributes
        ],
        "transcript": [
            {"turn": i, "speaker": turn.get("speaker"), "text": turn.get("text") or ""}
            for i, turn in enumerate(turns)
        ],
    }
    return {
        "model": settings.model,
        "temperature": 0,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": json.dumps(content, ensure_ascii=False)},
        ],
    }


def _post(settings, body: dict) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    request = urllib.request.Request(  # noqa: S310 (scheme checked in endpoint())
        endpoint(settings.url), data=json.dumps(body).encode(), headers=headers, method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout_seconds) as response:  # noqa: S310
            raw = response.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise ProviderError(f"The provider answered HTTP {error.code}.") from error
    except TimeoutError as error:
        raise ProviderError(
            f"The provider did not answer within {settings.timeout_seconds:g} s.") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise ProviderError(
                f"The provider did not answer within {settings.timeout_seconds:g} s."
            ) from error
        raise ProviderError(f"The provider could not be reached: {error.reason}.") from error
    except OSError as error:
        raise ProviderError(f"The provider could not be reached: {error}.") from error
    if len(raw) > MAX_REPLY_BYTES:
        raise ProviderError("The provider's reply is too large.")
    try:
        return json.loads(raw)
    except ValueError as error:
        raise ProviderError("The provider's reply is not JSON.") from error


def _content(reply) -> dict:
    try:
        content = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise ProviderError("The provider's reply has no choices[0].message.content.") from error
    if not isinstance(content, str):
        raise ProviderError("The provider's message content is not text.")
    try:
        answers = json.loads(content)
    except ValueError as error:
        raise ProviderError("The provider's message is not a JSON object.") from error
    if not isinstance(answers, dict):
        raise ProviderError("The provider's message is not a JSON object.")
    return answers


def parse_reply(reply, attributes: Sequence, turn_count: int) -> dict[str, ScorerAnswer]:
    """Check a chat-completions reply strictly; ``{attribute key: answer}``."""
    answers = _content(reply)
    by_key = {a.key: a for a in attributes}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise ProviderError(f"The provider answered unknown attributes: {', '.join(unknown)}.")
    missing = [key for key in by_key if key not in answers]
    if missing:
        raise ProviderError(f"The provider did not answer: {', '.join(missing)}.")
    result = {}
    for key, attribute in by_key.items():
        entry = answers[key]
        if not isinstance(entry, dict) or "answer" not in entry:
            raise ProviderError(f"“{key}”: expected an object with an “answer”.")
        raw = entry["answer"]
        if raw == NA:
            value: int | str = NA
        elif attribute.scale_max:
            top = attribute.scale_max
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= top:
                raise ProviderError(
                    f"“{key}”: expected a whole number 0–{attribute.scale_max} or na; got {raw!r}.")
            value = raw
        elif raw in ("yes", "no"):
            value = int(raw == "yes")
        else:
            raise ProviderError(f"“{key}”: expected yes, no or na; got {raw!r}.")
        evidence = entry.get("evidence", [])
        if not isinstance(evidence, list) or any(
            isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < turn_count
            for i in evidence
        ):
            raise ProviderError(f"“{key}”: evidence must be turn numbers 0–{turn_count - 1}.")
        result[key] = ScorerAnswer(value, sorted(set(evidence)))
    return result


def score(settings, attributes: Sequence, turns: Sequence[Mapping]) -> dict[str, ScorerAnswer]:
    """Ask the provider about ``attributes`` for one transcript; :class:`ProviderError`
    when it cannot be asked or its reply is not usable."""
    if not attributes:
        return {}
    reply = _post(settings, request_body(settings, attributes, turns))
    return parse_reply(reply, attributes, len(turns))
