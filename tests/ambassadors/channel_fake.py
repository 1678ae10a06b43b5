"""A fake Slack and Teams over real HTTP on 127.0.0.1: it records every POST and answers what the test scripts
(200 by default; 500, 429 with Retry-After, 404...). ``fake_channels`` allow-lists it as both services' webhook host.

Import the fixture into a test module: ``from tests.ambassadors.channel_fake import fake_channels_fixture``; tests
ask for ``fake_channels``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    json: Any
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_POST(self):  # noqa: N802
        fake: FakeChannels = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with fake.lock:
            fake.received.append(Received(self.path, json.loads(body or b"null"), dict(self.headers.items())))
            answer = fake.script.pop(0) if fake.script else Answer()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


class FakeChannels:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Answer] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def slack_url(self, name: str = "T000/B000/XXXX") -> str:
        return f"http://{self.endpoint}/services/{name}"

    def teams_url(self, name: str = "abc@def/IncomingWebhook/123/456") -> str:
        return f"http://{self.endpoint}/webhookb2/{name}"

    def answer(self, *answers: Answer) -> None:
        """The next answers, in order; then 200 again."""
        self.script.extend(answers)


@pytest.fixture(name="fake_channels")
def fake_channels_fixture(settings) -> Iterator[FakeChannels]:
    fake = FakeChannels()
    fake.thread.start()
    settings.RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS = [fake.endpoint]
    settings.RELAIS_CHANNEL_WEBHOOK_PREFIXES = {
        "slack": [f"http://{fake.endpoint}/services/"],
        "teams": [f"http://{fake.endpoint}/webhookb2/"],
    }
    try:
        yield fake
    finally:
        fake.httpd.shutdown()
        fake.httpd.server_close()
