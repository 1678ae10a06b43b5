"""The plumbing shared by the fake networks: a tiny WSGI router, a fake clock, a request journal, fault knobs and a
server thread on a real socket.

A fake network is a ``FakeNetwork`` subclass holding its own state behind one lock. The same object serves three
ways: in tests (``SandboxServer`` runs it in a thread on 127.0.0.1 and an ephemeral port), in ``make run`` (the
``/sandbox/<network>/`` view hands it Django's WSGI environ), and from Python (tests read and set its state
directly, or through its ``/_sandbox/`` admin endpoints over HTTP when the caller is another process).

Who may do what: the admin endpoints and the full list of received posts answer only the controller, that is a
caller with the fake's ``control_secret`` in the ``X-Sandbox-Control`` header (the test harness) or a Relais staff
member (the embedded demo, where the Django view passes the signed-in ``Viewer`` in the environ). A signed-in member
sees only the posts of their own fake accounts, and each Relais user consents as a fake member of their own.

Nothing here is used when ``RELAIS_SANDBOX_NETWORKS`` is off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

DAY = 86_400
REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-sandbox-control"})
SECRET_FIELDS = frozenset({"access_token", "refresh_token", "client_secret", "code", "code_verifier", "token"})
CONTROL_HEADER = "x-sandbox-control"
# Where the Django view puts the signed-in Relais user: not an HTTP_ key, so no client can forge it.
VIEWER_ENVIRON = "relais.sandbox.viewer"
ADMIN_ROUTES = frozenset({"_journal", "_knobs", "_clock", "_faults", "_reset"})


class FakeClock:
    """Seconds since the epoch, real unless frozen or advanced: drives token expiry, rate windows, daily resets and
    metric growth. ``offset`` moves a running clock; ``frozen`` stops it."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen: float | None = None

    def now(self) -> float:
        return self.frozen if self.frozen is not None else time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if self.frozen is not None:
            self.frozen += seconds
        else:
            self.offset += seconds

    def freeze(self, at: float | None = None) -> None:
        self.frozen = self.now() if at is None else at

    def unfreeze(self) -> None:
        if self.frozen is not None:
            self.offset = self.frozen - time.time()
        self.frozen = None


class Authored(Protocol):
    author_uid: str


AuthoredT = TypeVar("AuthoredT", bound=Authored)


@dataclass(frozen=True)
class Viewer:
    """The Relais user in front of the embedded fake. ``key`` is stable per user and opaque (the fake derives the
    user's own fake member from it); "" for a visitor who is not signed in."""

    key: str
    name: str = ""
    staff: bool = False


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    viewer: Viewer | None = None

    @property
    def form(self) -> dict[str, str]:
        if "application/x-www-form-urlencoded" not in self.headers.get("content-type", ""):
            return {}
        return {key: values[-1] for key, values in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Set by a "slow" fault: the server sleeps this long before answering (the state change is already made or
    # not, as the fault says); set by "drop": the connection is closed with no answer at all.
    delay: float = 0.0
    drop: bool = False

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    @classmethod
    def html(cls, text: str, status: int = 200, *, style: str = "") -> Response:
        """A page of the fake site, with a Content-Security-Policy of its own as the real networks send: no script at
        all, and no style but the one ``<style>`` element holding ``style`` (allowed by its hash). Relais keeps the
        fake's policy where it serves the sandbox, so the page holds under both."""
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        styles = f"'sha256-{digest}'" if style else "'none'"
        policy = f"default-src 'none'; style-src {styles}; base-uri 'none'; frame-ancestors 'none'"
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": policy}
        return cls(status, text.encode(), headers)

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", {"Location": location})

    @classmethod
    def redirect_back(cls, redirect_uri: str, params: dict[str, str]) -> Response:
        """The redirect of an OAuth answer: ``params`` added to whatever query ``redirect_uri`` already has."""
        parts = urlsplit(redirect_uri)
        query = "&".join(part for part in (parts.query, urlencode(params)) if part)
        return cls.redirect(urlunsplit(parts._replace(query=query)))


Handler = Callable[[Request], Response]


@dataclass
class JournalEntry:
    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: str
    status: int


@dataclass
class RouteFaults:
    """Faults of one route. ``script`` is consumed first, one entry per request: an HTTP status (500, 502, 503,
    504), ``"commit-then-503"`` (do the work, then answer 503), ``"commit-then-drop"`` (do the work, then close the
    connection), ``"slow-before"``/``"slow-after"`` (sleep ``slow_seconds`` before/after doing the work) or
    ``None`` (behave). After the script, ``error_rate`` is the probability of a 503 before any work."""

    script: list[Any] = field(default_factory=list)
    error_rate: float = 0.0
    slow_seconds: float = 35.0


class DropConnection(Exception):
    """Raised through the WSGI server so the client sees the connection close with no response."""


class FakeNetwork:
    """Base of a fake network: routes, journal, faults, the ``/_sandbox/`` admin endpoints, and the OAuth app
    registration both networks check the same way."""

    name = "fake"
    # The settable knobs, by attribute name (``/_sandbox/knobs`` sets any of them).
    KNOBS: tuple[str, ...] = ()
    # Where the fake is served, for the URLs it hands out (upload URLs); set by whoever mounts it.
    base_url = ""
    client_id = "relais-sandbox"
    client_secret = "relais-sandbox-secret"
    # "approve" / "deny" (LinkedIn also "cancel_login") answer at once; None shows the consent page.
    auto_consent: str | None = None

    def __init__(self, *, clock: FakeClock | None = None, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.clock = clock or FakeClock()
        # The only redirect URIs the authorize endpoint accepts, compared exactly, as the real networks do.
        self.registered_redirect_uris: list[str] = []
        self.control_secret = secrets.token_urlsafe(24)
        # Which Relais user (``Viewer.key``) consented as each fake member, for the received page.
        self.owners: dict[str, str] = {}
        self.random = random.Random(seed)
        self.journal: list[JournalEntry] = []
        self.faults: dict[str, RouteFaults] = {}
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = []
        self.forget()
        self.register_routes()
        self.route("GET", "/_sandbox/journal", self.admin_journal, name="_journal")
        self.route("POST", "/_sandbox/knobs", self.admin_knobs, name="_knobs")
        self.route("POST", "/_sandbox/clock", self.admin_clock, name="_clock")
        self.route("POST", "/_sandbox/faults", self.admin_faults, name="_faults")
        self.route("POST", "/_sandbox/reset", self.admin_reset, name="_reset")

    # --- to override ---------------------------------------------------------------------------------------------

    def register_routes(self) -> None:
        raise NotImplementedError

    def forget(self) -> None:
        """Start the network's own state (members, tokens, posts, counters) empty."""

    # --- knobs and reset -----------------------------------------------------------------------------------------

    def knobs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.KNOBS}

    def set_knob(self, name: str, value: Any) -> None:
        if name not in self.KNOBS:
            raise KeyError(name)
        setattr(self, name, value)

    def reset(self) -> None:
        """Forget every token, post and counter (the knobs keep their values)."""
        with self.lock:
            self.journal.clear()
            self.faults.clear()
            self.owners.clear()
            self.forget()

    def redirect_uri_allowed(self, redirect_uri: str) -> bool:
        return bool(redirect_uri) and redirect_uri in self.registered_redirect_uris

    # --- who is asking -------------------------------------------------------------------------------------------

    def is_controller(self, request: Request) -> bool:
        """The test harness (the control secret) or a Relais staff member."""
        given = request.headers.get(CONTROL_HEADER, "")
        if given and hmac.compare_digest(given.encode(), self.control_secret.encode()):
            return True
        return request.viewer is not None and request.viewer.staff

    def received_by(self, request: Request, posts: Sequence[AuthoredT]) -> list[AuthoredT] | None:
        """The received ``posts`` that ``request`` may see: all of them for the controller, those of the fake members
        a signed-in viewer consented as, None (refused) for anyone else."""
        if self.is_controller(request):
            return list(posts)
        viewer = request.viewer
        if viewer is None or not viewer.key:
            return None
        return [post for post in posts if self.owners.get(post.author_uid) == viewer.key]

    def derived(self, viewer: Viewer) -> bytes:
        """A digest fixed by the viewer and this network: the seed of the viewer's own fake member."""
        return hashlib.sha256(f"{self.name}:{viewer.key}".encode()).digest()

    def route_name(self, method: str, path: str) -> str | None:
        """The name of the route that ``method path`` reaches, if any."""
        return next((name for verb, regex, name, _ in self.routes if verb == method and regex.match(path)), None)

    # --- routing -------------------------------------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler, *, name: str) -> None:
        """``pattern`` is a path with ``{param}`` placeholders (one path segment each, or ``{param:path}``)."""
        regex = re.sub(r"\{(\w+):path\}", r"(?P<\1>.+)", pattern)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        self.routes.append((method, re.compile(f"^{regex}$"), name, handler))

    def set_faults(self, route_name: str, **values: Any) -> None:
        with self.lock:
            faults = self.faults.setdefault(route_name, RouteFaults())
            for key, value in values.items():
                setattr(faults, key, value)

    def next_fault(self, route_name: str) -> Any:
        """The fault to apply to this request of ``route_name`` (None: behave)."""
        faults = self.faults.get(route_name)
        if faults is None:
            return None
        if faults.script:
            return faults.script.pop(0)
        if faults.error_rate and self.random.random() < faults.error_rate:
            return 503
        return None

    def dispatch(self, request: Request) -> Response:
        for method, regex, name, handler in self.routes:
            match = regex.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                return self._with_faults(name, handler, request)
        if any(regex.match(request.path) for _, regex, _, _ in self.routes):
            return Response.json({"status": 405, "message": "Method not allowed"}, 405)
        return Response.json({"status": 404, "message": "Not found"}, 404)

    def _with_faults(self, name: str, handler: Handler, request: Request) -> Response:
        if name in ADMIN_ROUTES and not self.is_controller(request):
            refusal = {"status": 403, "message": "The sandbox's admin endpoints need its control secret."}
            return Response.json(refusal, 403)
        with self.lock:
            fault = None if name.startswith("_") else self.next_fault(name)
            slow = self.faults[name].slow_seconds if name in self.faults else 0.0
        if isinstance(fault, int):
            return Response.json({"status": fault, "message": HTTPStatus(fault).phrase}, fault)
        if fault == "slow-before":
            time.sleep(slow)
        with self.lock:
            response = handler(request)
        if fault == "slow-after":
            response.delay = slow
        elif fault == "commit-then-503":
            response = Response.json({"status": 503, "message": "Service Unavailable"}, 503)
        elif fault == "commit-then-drop":
            response.drop = True
        return response

    # --- WSGI ----------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = request_from_environ(environ)
        response = self.dispatch(request)
        with self.lock:
            self.journal.append(
                JournalEntry(
                    at=self.clock.now(),
                    method=request.method,
                    path=request.path,
                    headers=redact_headers(request.headers),
                    body=redact_body(request.body, request.headers.get("content-type", "")),
                    status=response.status,
                )
            )
        if response.delay:
            time.sleep(response.delay)
        if response.drop:
            raise DropConnection
        reason = HTTPStatus(response.status).phrase
        start_response(f"{response.status} {reason}", list(response.headers.items()))
        return [response.body]

    # --- admin endpoints -----------------------------------------------------------------------------------------

    def admin_journal(self, request: Request) -> Response:
        return Response.json([entry.__dict__ for entry in self.journal])

    def admin_knobs(self, request: Request) -> Response:
        values = request.json() or {}
        try:
            for name, value in values.items():
                self.set_knob(name, value)
        except KeyError as unknown:
            return Response.json({"error": f"unknown knob {unknown}"}, 400)
        # The answer is shown to whoever set the knobs: it need not carry the app's secret.
        return Response.json({**self.knobs(), "client_secret": REDACTED})

    def admin_clock(self, request: Request) -> Response:
        values = request.json() or {}
        if "advance" in values:
            self.clock.advance(float(values["advance"]))
        if values.get("freeze"):
            self.clock.freeze()
        if values.get("unfreeze"):
            self.clock.unfreeze()
        return Response.json({"now": self.clock.now()})

    def admin_faults(self, request: Request) -> Response:
        values = request.json() or {}
        for route_name, route_values in values.items():
            self.set_faults(route_name, **route_values)
        return Response.json({name: faults.__dict__ for name, faults in self.faults.items()})

    def admin_reset(self, request: Request) -> Response:
        self.reset()
        return Response.json({"reset": True})

    # --- for tests in the same process ---------------------------------------------------------------------------

    def requests_to(self, method: str, path_prefix: str) -> list[JournalEntry]:
        with self.lock:
            return [e for e in self.journal if e.method == method and e.path.startswith(path_prefix)]


def request_from_environ(environ: dict[str, Any]) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    query = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    path = environ.get("PATH_INFO", "/") or "/"
    viewer = environ.get(VIEWER_ENVIRON)
    method = environ["REQUEST_METHOD"].upper()
    return Request(method, path, query, headers, body, viewer=viewer if isinstance(viewer, Viewer) else None)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {key: (REDACTED if key in SECRET_HEADERS else value) for key, value in headers.items()}


def redact_body(body: bytes, content_type: str) -> str:
    text = body.decode("utf-8", "replace")
    if "application/x-www-form-urlencoded" in content_type:
        pairs = parse_qs(text, keep_blank_values=True)
        return "&".join(
            f"{key}={REDACTED if key in SECRET_FIELDS else value}" for key, values in pairs.items() for value in values
        )
    return text


class _ServerHandler(ServerHandler):
    def handle_error(self) -> None:
        # A "drop" fault must reach the client as a closed connection, not as wsgiref's 500 page.
        if isinstance(sys.exc_info()[1], DropConnection):
            raise DropConnection
        super().handle_error()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the signature is the stdlib's
        return

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        try:
            handler.run(self.server.get_app())  # type: ignore[attr-defined]
        except DropConnection:
            self.close_connection = True


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._handle, args=(request, client_address), daemon=True)
        thread.start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a dropped or broken connection must not kill the fake
            pass
        finally:
            self.shutdown_request(request)


class SandboxServer:
    """Serve one fake network on 127.0.0.1 from a daemon thread: ``with SandboxServer(FakeX()) as server:
    server.url``."""

    def __init__(self, network: FakeNetwork, port: int = 0) -> None:
        self.network = network
        self.httpd = make_server(
            "127.0.0.1", port, network, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        # A short poll so shutting the server down at the end of each test takes milliseconds, not half a second.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> SandboxServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
