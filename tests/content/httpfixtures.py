"""A real HTTP server on 127.0.0.1 for tests of outbound fetches, and a scripted DNS resolver.

Import the fixtures into a test module (``from tests.content.httpfixtures import fake_dns, local_server``).
``local_server`` allow-lists itself through ``RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS`` (a setting production
refuses); ``fake_dns`` points ``RELAIS_SAFE_HTTP_RESOLVER`` at :func:`scripted_resolver`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0
    # Send the body in pieces of this many bytes, ``trickle_pause`` seconds apart.
    trickle: int = 0
    trickle_pause: float = 0.0
    # Declare no Content-Length and stream until the connection closes (a body of unknown size).
    stream_forever: bool = False


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The fetcher under test hangs up mid-response on purpose (deadline, byte cap): not an error here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        local = self.server.local_server
        received = ReceivedRequest(path=self.path, headers=dict(self.headers.items()))
        local.requests.append(received)
        route = local.routes.get(self.path.split("?", 1)[0], Route(status=404, body=b"not found"))
        if callable(route):
            route = route(received)
        try:
            self._answer(route)
        except OSError:
            pass

    def _answer(self, route: Route) -> None:
        time.sleep(route.delay)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.stream_forever:
            self.send_header("Connection", "close")
            self.end_headers()
            self._stream()
            return
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        step = route.trickle or len(route.body) or 1
        for start in range(0, len(route.body), step):
            self.wfile.write(route.body[start : start + step])
            self.wfile.flush()
            time.sleep(route.trickle_pause)

    def _stream(self) -> None:
        chunk = b"x" * 65536
        for _ in range(10_000):
            self.wfile.write(chunk)
        self.close_connection = True


class LocalServer:
    """Serves scripted routes; records every request it receives."""

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[ReceivedRequest], Route]] = {}
        self.requests: list[ReceivedRequest] = []
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.local_server = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"http://{self.endpoint}{path}"

    def route(self, path: str, route: Route | Callable[[ReceivedRequest], Route] | None = None, **kwargs) -> str:
        """Add a route (a ``Route``, a function of the request, or ``Route`` fields) and return its URL."""
        self.routes[path] = route if route is not None else Route(**kwargs)
        return self.url(path)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def _started_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_server(settings) -> Iterator[LocalServer]:
    """A running local server, allow-listed for ``content.safe_http``."""
    with _started_server() as server:
        settings.RELAIS_SAFE_HTTP_ALLOWED_TEST_HOSTS = [server.endpoint]
        yield server


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    """A second running local server, deliberately not allow-listed."""
    with _started_server() as server:
        yield server


# Name -> answers, one list of addresses per lookup; the last answer repeats. Reset by the ``fake_dns`` fixture.
DNS_ANSWERS: dict[str, list[list[str]]] = {}
DNS_LOOKUPS: list[str] = []


def scripted_resolver(host: str, port: int, *args, **kwargs) -> list[tuple]:
    """A ``socket.getaddrinfo`` stand-in answering from ``DNS_ANSWERS``; unknown names do not resolve."""
    DNS_LOOKUPS.append(host)
    answers = DNS_ANSWERS.get(host)
    if not answers:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    addresses = answers[min(DNS_LOOKUPS.count(host), len(answers)) - 1]
    return [
        (
            socket.AF_INET6 if ":" in address else socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
            "",
            (address, port),
        )
        for address in addresses
    ]


@pytest.fixture
def fake_dns(settings) -> Iterator[dict[str, list[list[str]]]]:
    """Route lookups through :func:`scripted_resolver`; the test fills the returned mapping."""
    settings.RELAIS_SAFE_HTTP_RESOLVER = "tests.content.httpfixtures.scripted_resolver"
    DNS_ANSWERS.clear()
    DNS_LOOKUPS.clear()
    yield DNS_ANSWERS
    DNS_ANSWERS.clear()
    DNS_LOOKUPS.clear()
