"""An optional outside writer of coaching advice: an OpenAI-compatible chat-completions
endpoint configured per tenant in ``Organization.settings["coaching"]["advice_provider"]``
(base URL, model, API key sealed with :mod:`coaching.sealed`, timeout), off by default.

It gets the same material as the embedded generator (guidance, the agent's weak
examples, colleagues' best responses) and must answer ``{"advice": "<text>"}``. Anything
else — unreachable, slow, an HTTP error, a reply not in that shape — raises
:class:`AdviceProviderError` and :func:`coaching.advice.compose_advice` falls back to the
embedded generator, saying so. Standard library only (``urllib.request``).
"""

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from tenancy.models import Organization
from tenancy.sealed import SealError, unseal

PURPOSE = "advice-provider-key"
MAX_REPLY_BYTES = 200_000
MAX_ADVICE = 4000
INSTRUCTIONS = (
    "You are a contact-center coach. Write short, concrete coaching advice for one agent on "
    "one behaviour, in plain text, addressed to the agent: what good looks like, what went "
    "wrong in their examples (cite them as 'interaction <id>'), what the colleagues' best "
    "responses did differently, and two or three next steps. Answer with one JSON object "
    '{"advice": "<the text>"} and nothing else. A higher attempt number asks for a '
    "differently worded version."
)


class AdviceProviderError(Exception):
    """The provider could not be asked, or its reply was not usable."""


@dataclass(frozen=True)
class AdviceProviderSettings:
    enabled: bool = False
    url: str = ""
    model: str = ""
    api_key_sealed: str = ""
    timeout_seconds: float = 5.0

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_sealed)

    def api_key(self) -> str:
        """The key in clear, or "" when none is stored (or it no longer opens)."""
        if not self.api_key_sealed:
            return ""
        try:
            return unseal(self.api_key_sealed, purpose=PURPOSE)
        except SealError:
            return ""


def advice_provider_settings(organization: Organization) -> AdviceProviderSettings:
    raw = ((organization.settings or {}).get("coaching") or {}).get("advice_provider") or {}
    return AdviceProviderSettings(**{k: v for k, v in raw.items()
                                     if k in AdviceProviderSettings.__dataclass_fields__})


def endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AdviceProviderError("The advice service's URL must be an http:// or https:// "
                                  "address.")
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


def request_body(settings: AdviceProviderSettings, material, *, attempt: int) -> dict:
    content = {
        "behaviour": material.name, "guidance": material.guidance,
        "agent_examples": [{"interaction": item.pk, "label": item.label, "what": what}
                           for item, what in material.weak],
        "best_responses": [{"interaction": r.interaction_id, "label": r.interaction.label,
                            "what": what} for r, what in material.best],
        "attempt": attempt,
    }
    return {
        "model": settings.model, "temperature": 0.7,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": INSTRUCTIONS},
                     {"role": "user", "content": json.dumps(content, ensure_ascii=False)}],
    }


def _post(settings: AdviceProviderSettings, body: dict) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    key = settings.api_key()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(  # noqa: S310 (scheme checked in endpoint())
        endpoint(settings.url), data=json.dumps(body).encode(), headers=headers, method="POST")
    timeout = settings.timeout_seconds
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise AdviceProviderError(f"it answered HTTP {error.code}") from error
    except TimeoutError as error:
        raise AdviceProviderError(f"it did not answer within {timeout:g} s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise AdviceProviderError(f"it did not answer within {timeout:g} s") from error
        raise AdviceProviderError(f"it could not be reached ({error.reason})") from error
    except OSError as error:
        raise AdviceProviderError(f"it could not be reached ({error})") from error
    if len(raw) > MAX_REPLY_BYTES:
        raise AdviceProviderError("its reply is too large")
    try:
        return json.loads(raw)
    except ValueError as error:
        raise AdviceProviderError("its reply is not JSON") from error


def parse_reply(reply) -> str:
    try:
        content = reply["choices"][0]["message"]["content"]
        advice = json.loads(content)["advice"]
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise AdviceProviderError('its reply has no {"advice": …} message') from error
    if not isinstance(advice, str) or not advice.strip():
        raise AdviceProviderError("its advice is empty")
    return advice.strip()[:MAX_ADVICE]


def variant_key_of(text: str) -> str:
    return "provider:" + hashlib.sha256(text.encode()).hexdigest()[:12]


def write_advice(settings: AdviceProviderSettings, material, *, attempt: int = 1) -> str:
    """The provider's advice text; :class:`AdviceProviderError` when not usable."""
    return parse_reply(_post(settings, request_body(settings, material, attempt=attempt)))


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


# What a connection test sends: the same instructions and shape as real advice, about a
# made-up behaviour, with no agent's data in it.
CHECK_MATERIAL = {"behaviour": "Connection test", "attempt": 1, "agent_examples": [],
                  "best_responses": [],
                  "guidance": "Greet the customer by name and say what you will do next."}


def check_connection(settings: AdviceProviderSettings) -> ConnectionCheck:
    """Ask the configured service for one piece of advice about a made-up behaviour (no
    agent's data is sent) and say whether it answered usably, how fast, or why not."""
    if not settings.url or not settings.model:
        return ConnectionCheck(False, "Save the service's URL and model first.")
    body = {
        "model": settings.model, "temperature": 0.7,
        "response_format": {"type": "json_object"},
        "messages": [{"role": "system", "content": INSTRUCTIONS},
                     {"role": "user", "content": json.dumps(CHECK_MATERIAL)}],
    }
    started = time.monotonic()
    try:
        advice = parse_reply(_post(settings, body))
    except AdviceProviderError as error:
        return ConnectionCheck(False, f"The advice service did not work: {error}.")
    elapsed = round((time.monotonic() - started) * 1000)
    return ConnectionCheck(True, f"The advice service answered in {elapsed:,} ms with advice "
                                 f"of {len(advice):,} characters.")
