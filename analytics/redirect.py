"""``GET /r/<code>``: a WSGI application of its own, in front of Django.

A redirect needs none of the site's machinery (sessions, CSRF, messages, authentication, the URL resolver), and it
stands between a reader and the page they asked for, so it is as small as it can be: the code is checked by its
shape, its destination is taken from a bounded in-process cache, else from the shared cache, else from the database;
the click is handed to ``analytics.clicks.record`` and the answer is a 302 to the stored destination, never to
anything taken from the request.

A link whose post was withdrawn or whose organisation was deactivated answers "no longer available" (410) once the
caches expire (``RELAIS_LINK_CACHE_SECONDS`` in each of the two caches: within a minute). An unknown or malformed code
answers the same 404 page; a malformed one costs no lookup.

Mounted on ``/r/`` of the site by ``advocacy.wsgi`` (``RELAIS_WSGI_MOUNTS``), and served alone on the links host by
``analytics.wsgi``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from analytics import clicks
from analytics.models import CODE_PATTERN

logger = logging.getLogger("relais.links")

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Target:
    """What a code leads to. It never changes once the link exists, so it is cached for long, in each process and
    in the shared cache; whether it may still be followed is ``PostState``'s business."""

    link_id: int
    organization_id: int
    share_id: int
    membership_id: int
    post_id: int
    network: str
    destination: str

    def encode(self) -> str:
        values = (self.link_id, self.organization_id, self.share_id, self.membership_id, self.post_id)
        return json.dumps([*values, self.network, self.destination], separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> Target:
        link, organization, share, membership, post, network, destination = json.loads(text)
        return cls(link, organization, share, membership, post, network, destination)


@dataclass(frozen=True)
class PostState:
    """Whether a post's links may be followed (the post not withdrawn nor deleted, its organisation active), and the
    organisation's time zone, whose days the visitors are counted in. Cached for a few seconds only: a withdrawal
    stops the redirects within ``RELAIS_LINK_CACHE_SECONDS``."""

    available: bool
    time_zone: str


class ExpiringCache:
    """A bounded map whose entries expire, shared by the threads of a process."""

    def __init__(self, seconds_setting: str) -> None:
        self.seconds_setting = seconds_setting
        self._entries: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> tuple[bool, Any]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key: Any, value: Any, seconds: float | None = None) -> None:
        if seconds is None:
            seconds = float(getattr(settings, self.seconds_setting))
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > settings.RELAIS_LINK_CACHE_SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


targets = ExpiringCache("RELAIS_LINK_TARGET_CACHE_SECONDS")
post_states = ExpiringCache("RELAIS_LINK_CACHE_SECONDS")
_UNKNOWN = "-"


def _shared_key(code: str) -> str:
    return f"{settings.RELAIS_CLICKS_STREAM}:link:{code}"


def _encode_shared(code: str, target: Target | None) -> bytes:
    """The command that puts a code's target in the shared cache; an unknown code only briefly, in case it is being
    created."""
    if target is None:
        value, seconds = _UNKNOWN, settings.RELAIS_LINK_CACHE_SECONDS
    else:
        value, seconds = target.encode(), settings.RELAIS_LINK_TARGET_CACHE_SECONDS
    return clicks.pack("SET", _shared_key(code), value, "EX", str(max(1, int(seconds))))


# Plain statements, prepared once per connection (``_fetch_one``): the ORM would spend more time building them than
# the database answering, and planning them each time would cost several times more than running them.
TARGET_SQL = (
    "SELECT id, organization_id, share_id, membership_id, post_id, network, destination "
    "FROM analytics_trackedlink WHERE code = %s"
)
POST_STATE_SQL = (
    "SELECT post.status, organization.is_active, organization.time_zone FROM content_post post "
    "JOIN advocacy_organization organization ON organization.id = post.organization_id WHERE post.id = %s"
)


def _fetch_one(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    """One row, by a statement PostgreSQL prepares once per connection. Django's own queries bind on the client and
    never prepare, so letting this connection prepare changes nothing for them. The statement shows in Django's
    query log like any other. The redirect serves every organisation: its two lookups are by code and by post id,
    outside any organisation scope."""
    close_old_connections()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found: tuple[Any, ...] | None = cursor.fetchone()
            return found
    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = 0
    started = time.monotonic()
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql % tuple(map(repr, params)), "time": f"{time.monotonic() - started:.3f}"}
        )
    return row


def lookup(code: str) -> tuple[Target | None, bytes]:
    """The code's target, and the command that puts it in the shared cache when it came from the database (sent
    with the click, in the same round trip), else b""."""
    found, target = targets.get(code)
    if found:
        return target, b""
    answer = clicks.send(clicks.pack("GET", _shared_key(code)))
    if answer is not None and answer[0] is not None:
        text = answer[0].decode()
        target = None if text == _UNKNOWN else Target.decode(text)
        _remember(code, target)
        return target, b""
    row = _fetch_one(TARGET_SQL, [code])
    target = Target(*row) if row is not None else None
    _remember(code, target)
    return target, _encode_shared(code, target)


def share_targets(links: Iterable[Any]) -> None:
    """Put new links (``TrackedLink`` rows) in the shared cache, so that their first clicks, which come soon after a
    share goes out, never wait for the database. Without Redis, or when it does not answer, the first click reads
    the database as usual."""
    commands = [
        _encode_shared(
            link.code,
            Target(
                link.pk,
                link.organization_id,
                link.share_id,
                link.membership_id,
                link.post_id,
                link.network,
                link.destination,
            ),
        )
        for link in links
    ]
    for start in range(0, len(commands), 1000):
        if clicks.send(*commands[start : start + 1000]) is None:
            return


def _remember(code: str, target: Target | None) -> None:
    targets.put(code, target, None if target is not None else float(settings.RELAIS_LINK_CACHE_SECONDS))


def post_state(post_id: int) -> PostState:
    found, state = post_states.get(post_id)
    if found:
        return state  # type: ignore[no-any-return]
    row = _fetch_one(POST_STATE_SQL, [post_id])
    if row is None:
        state = PostState(available=False, time_zone="UTC")
    else:
        status, active, time_zone = row
        state = PostState(available=bool(active) and status != "withdrawn", time_zone=time_zone)
    post_states.put(post_id, state)
    return state


# --- Pages ---------------------------------------------------------------------------------------------------------

# The pages' only style, allowed by its hash: they carry no script and nothing else.
PAGE_STYLE = """
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: #f3f4f6; color: #1f2937; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 32rem; margin: 1rem; padding: 2rem 1.5rem; background: #fff; border-radius: .75rem;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .08); text-align: center; }
.brand { font-weight: 700; color: #1d4ed8; letter-spacing: .02em; margin: 0 0 1.5rem; }
h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
p { margin: 0; color: #4b5563; }
"""
_STYLE_HASH = base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()
_pages: dict[tuple[str, str], bytes] = {}
PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
]
PAGES = {
    "404 Not Found": "not_found",
    "410 Gone": "unavailable",
    "503 Service Unavailable": "busy",
}


def _language(environ: dict[str, Any]) -> str:
    first = environ.get("HTTP_ACCEPT_LANGUAGE", "").split(",")[0].strip().lower()
    return "fr" if first.startswith("fr") else "en"


def _page(kind: str, language: str) -> bytes:
    """The page rendered once per kind and language: it never changes and must cost nothing to serve."""
    key = (kind, language)
    if key not in _pages:
        with translation.override(language):
            style = format_html("<style>{}</style>", mark_safe(PAGE_STYLE))  # noqa: S308 - our own constant
            context = {"kind": kind, "language": language, "style": style}
            _pages[key] = render_to_string("links/page.html", context).encode()
    return _pages[key]


def _answer(status: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    body = _page(PAGES[status], _language(environ))
    start_response(status, [*PAGE_HEADERS, ("Content-Length", str(len(body)))])
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


# --- The application -----------------------------------------------------------------------------------------------


def _click(environ: dict[str, Any], target: Target, time_zone: str) -> clicks.ClickEvent:
    now = datetime.now(UTC)
    day = clicks.local_day(now, time_zone)
    user_agent = environ.get("HTTP_USER_AGENT", "")[:512]
    key = clicks.visitor_key(target.organization_id, day)
    return clicks.ClickEvent(
        event_id=clicks.new_event_id(now),
        organization_id=target.organization_id,
        link_id=target.link_id,
        share_id=target.share_id,
        membership_id=target.membership_id,
        post_id=target.post_id,
        network=target.network,
        clicked_at=now,
        day=day,
        referrer_host=clicks.referrer_host(environ),
        visitor_hash=clicks.visitor_hash(key, clicks.client_address(environ), user_agent),
        filtered=clicks.request_filter(environ),
    )


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "no-store")])
        return [b"ok"]
    if method not in ("GET", "HEAD"):
        start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
        return []
    code = path.removeprefix("/r/").removesuffix("/") if path.startswith("/r/") else ""
    if not CODE_PATTERN.fullmatch(code):
        return _answer("404 Not Found", environ, start_response)
    try:
        target, cache_write = lookup(code)
        if target is not None:
            state = post_state(target.post_id)
    except (DatabaseError, psycopg.Error):
        logger.exception("link %s: lookup failed", code)
        connection.close()
        return _answer("503 Service Unavailable", environ, start_response)
    if target is None or not state.available:
        if cache_write:
            clicks.send(cache_write)
        return _answer("404 Not Found" if target is None else "410 Gone", environ, start_response)
    try:
        clicks.record(_click(environ, target, state.time_zone), along=cache_write)
    except Exception:
        # The reader still gets their page; the failure is logged for the operators.
        logger.exception("link %s: the click could not be recorded", code)
    start_response(
        "302 Found",
        [
            ("Location", target.destination),
            ("Cache-Control", "no-store"),
            ("X-Robots-Tag", "noindex, nofollow"),
            ("Content-Length", "0"),
        ],
    )
    return []
