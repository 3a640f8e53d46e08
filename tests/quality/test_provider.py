"""The outside scorer against a local fake OpenAI-compatible server (never the internet):
a good reply, malformed replies and a timeout."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from quality.models import Attribute
from quality.scoring import provider
from quality.selectors import ProviderSettings

TURNS = [
    {"speaker": "agent", "text": "Thank you for calling.", "at": 0},
    {"speaker": "customer", "text": "My bill is wrong.", "at": 4},
    {"speaker": "agent", "text": "Sorry, I will fix it. Anything else?", "at": 9},
]


class FakeProvider:
    """A chat-completions endpoint on 127.0.0.1 that answers what the test sets."""

    def __init__(self):
        self.requests: list[dict] = []
        self.content: object = "{}"
        self.status = 200
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "body": json.loads(body),
                                       "authorization": self.headers.get("Authorization")})
                if outer.delay:
                    time.sleep(outer.delay)
                content = outer.content
                if not isinstance(content, bytes):
                    reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                    content = json.dumps(reply).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, answers: dict) -> None:
        self.content = json.dumps(answers)

    def settings(self, **overrides) -> ProviderSettings:
        return ProviderSettings(**{"enabled": True, "url": self.url, "model": "fake-1",
                                   "api_key": "sk-test", "timeout_seconds": 2.0, **overrides})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_provider():
    fake = FakeProvider()
    yield fake
    fake.close()


ATTRIBUTES = [
    Attribute(pk=1, key="greeting", name="Greeting", guidance="Greets the caller.",
              answer_type="yes_no"),
    Attribute(pk=2, key="empathy", name="Empathy", answer_type="scale", scale_max=4,
              na_allowed=False),
]


def test_a_good_reply_gives_answers_with_evidence(fake_provider):
    fake_provider.answer({"greeting": {"answer": "yes", "evidence": [0]},
                          "empathy": {"answer": 3, "evidence": [2, 2]}})
    answers = provider.score(fake_provider.settings(), ATTRIBUTES, TURNS)
    assert answers == {"greeting": (1, [0]), "empathy": (3, [2])}
    (request,) = fake_provider.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == "Bearer sk-test"
    assert request["body"]["model"] == "fake-1"
    sent = json.loads(request["body"]["messages"][1]["content"])
    assert sent["attributes"][1] == {"key": "empathy", "name": "Empathy", "guidance": "",
                                     "answer": "scale 0..4", "na_allowed": False}
    assert sent["transcript"][2] == {"turn": 2, "speaker": "agent",
                                     "text": "Sorry, I will fix it. Anything else?"}
    assert provider.scorer_name(fake_provider.settings()) == "provider:fake-1"


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all", "The provider's message is not a JSON object."),
    (b"<html>oops</html>", "The provider's reply is not JSON."),
    (json.dumps([1, 2]), "The provider's message is not a JSON object."),
    (json.dumps({"greeting": {"answer": "yes"}}), "The provider did not answer: empathy."),
    (json.dumps({"greeting": {"answer": "yes"}, "empathy": {"answer": 3}, "tone": {}}),
     "The provider answered unknown attributes: tone."),
    (json.dumps({"greeting": {"answer": "maybe"}, "empathy": {"answer": 3}}),
     "“greeting”: expected yes, no or na; got 'maybe'."),
    (json.dumps({"greeting": {"answer": "yes"}, "empathy": {"answer": 5}}),
     "“empathy”: expected a whole number 0–4 or na; got 5."),
    (json.dumps({"greeting": {"answer": "yes", "evidence": [3]}, "empathy": {"answer": 1}}),
     "“greeting”: evidence must be turn numbers 0–2."),
    (json.dumps({"greeting": "yes", "empathy": {"answer": 1}}),
     "“greeting”: expected an object with an “answer”."),
])
def test_a_malformed_reply_is_refused_with_a_reason(fake_provider, content, message):
    fake_provider.content = content
    with pytest.raises(provider.ProviderError) as refused:
        provider.score(fake_provider.settings(), ATTRIBUTES, TURNS)
    assert str(refused.value) == message


def test_http_errors_and_timeouts_are_provider_errors(fake_provider):
    fake_provider.status = 500
    with pytest.raises(provider.ProviderError, match="HTTP 500"):
        provider.score(fake_provider.settings(), ATTRIBUTES, TURNS)
    fake_provider.status, fake_provider.delay = 200, 1.0
    started = time.monotonic()
    with pytest.raises(provider.ProviderError) as refused:
        provider.score(fake_provider.settings(timeout_seconds=0.2), ATTRIBUTES, TURNS)
    assert str(refused.value) == "The provider did not answer within 0.2 s."
    assert time.monotonic() - started < 0.9


def test_only_http_urls_are_asked():
    for url in ("file:///etc/passwd", "ftp://example.org/", "localhost:80"):
        with pytest.raises(provider.ProviderError, match="http:// or https://"):
            provider.score(ProviderSettings(enabled=True, url=url), ATTRIBUTES, TURNS)
