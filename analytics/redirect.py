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

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.template.loader import render_to_string
from django.utils import translation

from advocacy.tenancy import scopes_disabled
from analytics import clicks
from analytics.links import CODE_PATTERN
from analytics.models import TrackedLink

logger = logging.getLogger("relais.links")

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class Target:
    """What the redirect needs to know of a code, cached as is."""

    link_id: int
    organization_id: int
    share_id: int
    membership_id: int
    post_id: int
    network: str
    destination: str
    time_zone: str
    available: bool


class TargetCache:
    """A bounded, expiring map of code -> Target (or None for an unknown code), shared by the threads of a process."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[float, Target | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, code: str) -> tuple[bool, Target | None]:
        entry = self._entries.get(code)
        if entry is None:
            return False, None
        expires, target = entry
        if expires < time.monotonic():
            return False, None
        return True, target

    def put(self, code: str, target: Target | None) -> None:
        with self._lock:
            self._entries[code] = (time.monotonic() + settings.RELAIS_LINK_CACHE_SECONDS, target)
            self._entries.move_to_end(code)
            while len(self._entries) > settings.RELAIS_LINK_CACHE_SIZE:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


local_cache = TargetCache()
_UNKNOWN = "-"


def _shared_key(code: str) -> str:
    return f"{settings.RELAIS_CLICKS_STREAM}:link:{code}"


def _from_shared(client: redis.Redis, code: str) -> tuple[bool, Target | None]:
    raw = client.get(_shared_key(code))
    if raw is None:
        return False, None
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if text == _UNKNOWN:
        return True, None
    return True, Target(*json.loads(text))


def _to_shared(client: redis.Redis, code: str, target: Target | None) -> None:
    value = _UNKNOWN if target is None else json.dumps(astuple(target), separators=(",", ":"))
    client.set(_shared_key(code), value, ex=max(1, int(settings.RELAIS_LINK_CACHE_SECONDS)))


def _from_database(code: str) -> Target | None:
    close_old_connections()
    # A code is unique over the installation and the redirect serves every organisation: no scope applies here.
    with scopes_disabled():
        row = (
            TrackedLink.objects.filter(code=code)
            .values_list(
                "pk",
                "organization_id",
                "share_id",
                "membership_id",
                "post_id",
                "network",
                "destination",
                "organization__time_zone",
                "organization__is_active",
                "post__status",
            )
            .first()
        )
    if row is None:
        return None
    link_id, organization_id, share_id, membership_id, post_id, network, destination, time_zone, active, status = row
    return Target(
        link_id=link_id,
        organization_id=organization_id,
        share_id=share_id,
        membership_id=membership_id,
        post_id=post_id,
        network=network,
        destination=destination,
        time_zone=time_zone,
        available=bool(active) and status != "withdrawn",
    )


def lookup(code: str) -> Target | None:
    found, target = local_cache.get(code)
    if found:
        return target
    client = clicks.redis_client()
    if client is not None:
        try:
            found, target = _from_shared(client, code)
        except redis.RedisError as error:
            clicks.redis_failed(error)
            client = None
    if not found:
        target = _from_database(code)
        if client is not None:
            try:
                _to_shared(client, code, target)
            except redis.RedisError as error:
                clicks.redis_failed(error)
    local_cache.put(code, target)
    return target


# --- Pages ---------------------------------------------------------------------------------------------------------

_pages: dict[tuple[str, str], bytes] = {}
PAGE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
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
            _pages[key] = render_to_string("links/page.html", {"kind": kind, "language": language}).encode()
    return _pages[key]


def _answer(status: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    body = _page(PAGES[status], _language(environ))
    start_response(status, [*PAGE_HEADERS, ("Content-Length", str(len(body)))])
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


# --- The application -----------------------------------------------------------------------------------------------


def _click(environ: dict[str, Any], target: Target) -> clicks.ClickEvent:
    now = datetime.now(UTC)
    day = clicks.local_day(now, target.time_zone)
    user_agent = environ.get("HTTP_USER_AGENT", "")[:512]
    key = clicks.visitor_key(target.organization_id, day)
    return clicks.ClickEvent(
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
        target = lookup(code)
    except DatabaseError:
        logger.exception("link %s: lookup failed", code)
        connection.close()
        return _answer("503 Service Unavailable", environ, start_response)
    if target is None:
        return _answer("404 Not Found", environ, start_response)
    if not target.available:
        return _answer("410 Gone", environ, start_response)
    try:
        clicks.record(_click(environ, target))
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
