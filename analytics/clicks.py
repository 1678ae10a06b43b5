"""From a request of ``/r/<code>`` to a row in the clicks table, exactly once.

The redirect builds a ``ClickEvent`` (no IP address: a visitor hash) and ``record`` appends it to a Redis stream, one
``XADD``, nothing else. A flusher (``flush_stream``: the ``analytics.flush_clicks`` task, or ``manage.py
flush_clicks``) reads the stream through a consumer group, writes each batch in one transaction (``store_clicks``)
and acknowledges it only after the commit. The click's key comes in the stream entry, so a batch written again after a
crash between commit and acknowledgement is stored once; entries a dead flusher left pending are claimed by
the next one (``XAUTOCLAIM``). Without Redis (the embedded default), or while Redis cannot be reached, ``record``
writes the click directly: a click is never dropped and the reader never waits for an error.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import redis
from crawlerdetect import CrawlerDetect
from django.conf import settings
from django.db import close_old_connections, connection, transaction

from analytics.models import Click
from analytics.partitions import TABLE as CLICK_TABLE

logger = logging.getLogger("relais.clicks")

GROUP = "flushers"
Filtered = Click.Filtered

# The networks' and messengers' link-preview fetchers: they fetch the link when it is posted or pasted, before any
# reader. Matched first, so they are told apart from other robots.
PREVIEW_AGENTS = re.compile(
    r"linkedinbot|twitterbot|slackbot|slack-imgproxy|facebookexternalhit|facebookcatalog|facebot|meta-externalagent|"
    r"whatsapp|telegrambot|discordbot|skypeuripreview|microsoftpreview|teamsbot|applebot|iframely|embedly|"
    r"redditbot|pinterest|mastodon|bluesky|cardyb|vkshare|snapchat|google-pagerenderer|viber|line-poker|"
    r"outlook-ios-linkpreview|yahoo.*link.*preview|bingpreview",
    re.IGNORECASE,
)
_crawlers = CrawlerDetect()


@lru_cache(maxsize=8192)
def agent_filter(user_agent: str) -> str:
    """Why a user agent's click is not counted ("" when it is a person's browser). Cached: few agents repeat a lot,
    and the crawler list is a long expression."""
    if not user_agent.strip():
        return Filtered.BOT
    if PREVIEW_AGENTS.search(user_agent):
        return Filtered.PREVIEW
    if _crawlers.isCrawler(user_agent):
        return Filtered.BOT
    return Filtered.COUNTED


def request_filter(environ: dict[str, Any]) -> str:
    """Why this request is not a reader's click: HEAD, a browser's prefetch, a preview fetcher or another robot."""
    if environ.get("REQUEST_METHOD") == "HEAD":
        return Filtered.HEAD
    purpose = f"{environ.get('HTTP_SEC_PURPOSE', '')} {environ.get('HTTP_PURPOSE', '')} {environ.get('HTTP_X_MOZ', '')}"
    if "prefetch" in purpose.lower() or "prerender" in purpose.lower():
        return Filtered.PREFETCH
    return agent_filter(environ.get("HTTP_USER_AGENT", "")[:512])


def client_address(environ: dict[str, Any]) -> str:
    proxies = int(settings.RELAIS_TRUSTED_PROXY_COUNT)
    if proxies > 0:
        hops = [hop.strip() for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])
    return str(environ.get("REMOTE_ADDR", ""))


_HOST = re.compile(r"[a-z0-9.:\[\]_-]*")


def referrer_host(environ: dict[str, Any]) -> str:
    """The referring site's host name only: a full referrer URL can name a person or a private page."""
    referrer = environ.get("HTTP_REFERER", "")
    if not referrer:
        return ""
    try:
        host = urlsplit(referrer[:2000]).hostname or ""
    except ValueError:
        return ""
    return host[:253] if _HOST.fullmatch(host) else ""


# --- Visitor keys: one random key per organisation and day, deleted once the day is over ---------------------------

_keys: dict[tuple[int, date], bytes] = {}
_keys_lock = threading.Lock()


def visitor_key(organization_id: int, day: date) -> bytes:
    """The organisation's key of the day, created by whichever process needs it first. The redirect serves every
    organisation: the key is read by its organisation's id, outside any scope."""
    cached = _keys.get((organization_id, day))
    if cached is not None:
        return cached
    close_old_connections()
    params = [organization_id, connection.ops.adapt_datefield_value(day)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_visitorkey (organization_id, day, key) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [*params, secrets.token_hex(32)],
        )
        cursor.execute("SELECT key FROM analytics_visitorkey WHERE organization_id = %s AND day = %s", params)
        key = bytes.fromhex(cursor.fetchone()[0])
    with _keys_lock:
        for stale in [entry for entry in _keys if entry[1] < day]:
            del _keys[stale]
        _keys[(organization_id, day)] = key
    return key


def visitor_hash(key: bytes, address: str, user_agent: str) -> str:
    return hmac.new(key, f"{address}\n{user_agent}".encode(), hashlib.sha256).hexdigest()[:32]


# --- The event -----------------------------------------------------------------------------------------------------


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def new_event_id(moment: datetime) -> str:
    """A click's key, made when the reader asks (time first, so keys sort as clicks do). The stream entry carries it:
    a batch written again after a crash, or a click written directly after Redis timed out on an ``XADD`` it had in
    fact kept, is stored once."""
    return f"{(moment - EPOCH) // timedelta(milliseconds=1)}-{secrets.token_hex(6)}"


@dataclass(frozen=True)
class ClickEvent:
    event_id: str
    organization_id: int
    link_id: int
    share_id: int | None
    membership_id: int | None
    post_id: int | None
    network: str
    clicked_at: datetime
    day: date
    referrer_host: str
    visitor_hash: str
    filtered: str

    def encode(self) -> bytes:
        """One stream field: the values joined by "|", which none of them can contain (see ``referrer_host``)."""
        values = (
            self.event_id,
            self.organization_id,
            self.link_id,
            _blank(self.share_id),
            _blank(self.membership_id),
            _blank(self.post_id),
            self.network,
            (self.clicked_at - EPOCH) // MICROSECOND,
            self.day.isoformat(),
            self.referrer_host,
            self.visitor_hash,
            self.filtered,
        )
        return "|".join(map(str, values)).encode()

    @classmethod
    def decode(cls, raw: str | bytes) -> ClickEvent:
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        event_id, org, link, share, member, post, network, micros, day, referrer, visitor, filtered = text.split("|")
        if len(visitor) != 32:
            raise ValueError(f"not a visitor hash: {visitor!r}")
        return cls(
            event_id=event_id,
            organization_id=int(org),
            link_id=int(link),
            share_id=int(share) if share else None,
            membership_id=int(member) if member else None,
            post_id=int(post) if post else None,
            network=network,
            clicked_at=EPOCH + int(micros) * MICROSECOND,
            day=date.fromisoformat(day),
            referrer_host=referrer,
            visitor_hash=visitor,
            filtered=filtered,
        )


def _blank(value: int | None) -> int | str:
    return "" if value is None else value


def local_day(moment: datetime, time_zone: str) -> date:
    return moment.astimezone(_zone(time_zone)).date()


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# --- Redis: the stream (and the shared link cache), skipped for a while after a failure ----------------------------


def pack(*parts: bytes | str) -> bytes:
    """A command in Redis's protocol (RESP), ready to send."""
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded)


class FastRedis:
    """The redirect's connection to Redis, one per thread: its few commands are packed once and sent together, one
    round trip per click. The client library's generic command path costs more than the round trip itself; its
    connection (URL, authentication, TLS, database, timeouts) is used as is."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool = redis.ConnectionPool.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.25)
        self._local = threading.local()

    def execute(self, *commands: bytes) -> list[Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self.pool.make_connection()
        try:
            connection.send_packed_command([b"".join(commands)], check_health=False)
            return [connection.read_response() for _command in commands]
        except (redis.RedisError, OSError):
            connection.disconnect()
            raise


_fast: FastRedis | None = None
_down_until = 0.0
# After Redis failed, requests go straight to the database for this long rather than each waiting for a timeout.
REDIS_RETRY_SECONDS = 5.0


def fast_redis() -> FastRedis | None:
    """The Redis of the clicks stream, or None without one or while it was recently unreachable."""
    global _fast
    url = settings.RELAIS_CLICKS_REDIS_URL
    if not url or time.monotonic() < _down_until:
        return None
    if _fast is None or _fast.url != url:
        _fast = FastRedis(url)
    return _fast


def send(*commands: bytes) -> list[Any] | None:
    """Send packed commands in one round trip and return their answers; None without a Redis, or when it does not
    answer, in which case it is left alone for ``REDIS_RETRY_SECONDS`` and the callers use the database."""
    global _down_until
    client = fast_redis()
    if client is None:
        return None
    try:
        return client.execute(*commands)
    except (redis.RedisError, OSError) as error:
        _down_until = time.monotonic() + REDIS_RETRY_SECONDS
        logger.warning("Redis unreachable for clicks (%s): using the database for %ss", error, REDIS_RETRY_SECONDS)
        return None


@lru_cache(maxsize=8)
def _xadd_prefix(stream: str) -> bytes:
    """``XADD <stream> * e``, packed once: only the click's own field changes from one click to the next."""
    return pack("XADD", stream, "*", "e", "")[: -len(b"$0\r\n\r\n")]


def record(event: ClickEvent, *, along: bytes = b"") -> None:
    """Hand the click to the stream (with ``along``, a packed command sent in the same round trip), or write it
    directly when there is no stream or Redis does not answer."""
    payload = event.encode()
    xadd = _xadd_prefix(settings.RELAIS_CLICKS_STREAM) + b"$%d\r\n%s\r\n" % (len(payload), payload)
    if send(*([along, xadd] if along else [xadd])) is not None:
        return
    close_old_connections()
    store_clicks([event])


# --- Writing a batch -----------------------------------------------------------------------------------------------

CHUNK = 500
_CLICK_COLUMNS = (
    "organization_id, clicked_at, event_id, link_id, share_id, membership_id, post_id, network, referrer_host, "
    "visitor_hash, first_of_day, filtered"
)


@dataclass
class _LinkCount:
    clicks: int = 0
    unique: int = 0
    filtered: int = 0
    last: datetime | None = None


def store_clicks(events: Sequence[ClickEvent]) -> int:
    """Write clicks in one transaction and count them on their links; a click already stored (the same
    organisation, time and event id) is skipped, so writing a batch twice stores it once. Returns how many rows
    were new."""
    ordered = sorted(events, key=lambda event: (event.clicked_at, event.event_id))
    stored = 0
    with transaction.atomic():
        firsts = _first_visits(ordered)
        counts: dict[int, _LinkCount] = {}
        for start in range(0, len(ordered), CHUNK):
            for link_id, first, filtered, clicked_at in _insert_clicks(ordered[start : start + CHUNK], firsts):
                stored += 1
                count = counts.setdefault(link_id, _LinkCount())
                if filtered:
                    count.filtered += 1
                    continue
                count.clicks += 1
                count.unique += int(bool(first))
                moment = _as_datetime(clicked_at)
                count.last = moment if count.last is None or moment > count.last else count.last
        _count_on_links(counts)
    return stored


def _first_visits(ordered: Sequence[ClickEvent]) -> set[str]:
    """The event ids that are their visitor's first counted click on the link that day. The day's visitors table
    decides (a row created now means a first visit), so concurrent flushers never both count one visitor."""
    seen: dict[tuple[int, str, int, str], str] = {}
    for event in ordered:
        if not event.filtered:
            key = (event.organization_id, event.day.isoformat(), event.link_id, event.visitor_hash)
            seen.setdefault(key, event.event_id)
    if not seen:
        return set()
    created: set[tuple[int, str, int, str]] = set()
    keys = list(seen)
    ops = connection.ops
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for org, day, link, visitor in chunk:
            params += [org, ops.adapt_datefield_value(date.fromisoformat(day)), link, visitor]
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO analytics_dailyvisitor (organization_id, day, link_id, visitor_hash) "
                f"VALUES {values} ON CONFLICT DO NOTHING RETURNING organization_id, day, link_id, visitor_hash",
                params,
            )
            for org, day, link, visitor in cursor.fetchall():
                created.add((int(org), str(day)[:10], int(link), str(visitor)))
    return {event_id for key, event_id in seen.items() if key in created}


def _insert_clicks(chunk: Sequence[ClickEvent], firsts: set[str]) -> list[tuple[Any, ...]]:
    ops = connection.ops
    params: list[Any] = []
    for event in chunk:
        params += [
            event.organization_id,
            ops.adapt_datetimefield_value(event.clicked_at),
            event.event_id,
            event.link_id,
            event.share_id,
            event.membership_id,
            event.post_id,
            event.network,
            event.referrer_host,
            event.visitor_hash,
            event.event_id in firsts,
            event.filtered,
        ]
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CLICK_TABLE} ({_CLICK_COLUMNS}) VALUES {values} "
            "ON CONFLICT DO NOTHING RETURNING link_id, first_of_day, filtered, clicked_at",
            params,
        )
        return list(cursor.fetchall())


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _count_on_links(counts: dict[int, _LinkCount]) -> None:
    """Add the new clicks to their links' counters, in link order so two flushers never wait on each other in a
    circle."""
    ops = connection.ops
    rows = []
    for link_id in sorted(counts):
        count = counts[link_id]
        moment = ops.adapt_datetimefield_value(count.last) if count.last is not None else None
        rows.append([count.clicks, count.unique, count.filtered, moment, moment, moment, link_id])
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "UPDATE analytics_trackedlink SET clicks = clicks + %s, unique_clicks = unique_clicks + %s, "
            "filtered_clicks = filtered_clicks + %s, last_clicked_at = CASE WHEN %s IS NULL THEN last_clicked_at "
            "WHEN last_clicked_at IS NULL OR last_clicked_at < %s THEN %s ELSE last_clicked_at END WHERE id = %s",
            rows,
        )


# --- The flusher ---------------------------------------------------------------------------------------------------


@dataclass
class FlushResult:
    read: int = 0
    stored: int = 0
    claimed: int = 0
    dropped: int = 0


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def ensure_group(client: redis.Redis, stream: str) -> None:
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def flush_stream(
    *,
    consumer: str | None = None,
    batch: int | None = None,
    claim_idle_seconds: float | None = None,
    max_seconds: float = 50.0,
) -> FlushResult:
    """Write the stream's clicks to the database until it is drained or ``max_seconds`` have passed: first what dead
    flushers left pending for longer than ``claim_idle_seconds``, then new entries."""
    result = FlushResult()
    url = settings.RELAIS_CLICKS_REDIS_URL
    if not url:
        return result
    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=2)
    stream = settings.RELAIS_CLICKS_STREAM
    consumer = consumer or consumer_name()
    batch = batch or int(settings.RELAIS_CLICKS_BATCH)
    idle_ms = int(
        1000 * (claim_idle_seconds if claim_idle_seconds is not None else settings.RELAIS_CLICKS_CLAIM_IDLE_SECONDS)
    )
    ensure_group(client, stream)
    deadline = time.monotonic() + max_seconds
    cursor = "0-0"
    while time.monotonic() < deadline:
        claim: Any = client.xautoclaim(stream, GROUP, consumer, idle_ms, start_id=cursor, count=batch)
        cursor, claimed = claim[0], claim[1]
        if claimed:
            result.claimed += len(claimed)
            _write_and_acknowledge(client, stream, claimed, result)
        answer: Any = client.xreadgroup(GROUP, consumer, {stream: ">"}, count=batch)
        entries = answer[0][1] if answer else []
        if entries:
            _write_and_acknowledge(client, stream, entries, result)
        if not entries and (not claimed or _cursor_done(cursor)):
            break
    return result


def _cursor_done(cursor: Any) -> bool:
    return (cursor.decode() if isinstance(cursor, bytes) else str(cursor)) == "0-0"


def _write_and_acknowledge(
    client: redis.Redis, stream: str, entries: Iterable[tuple[Any, Any]], result: FlushResult
) -> None:
    events: list[ClickEvent] = []
    ids: list[Any] = []
    for entry_id, fields in entries:
        ids.append(entry_id)
        if not fields:
            continue
        raw = fields.get(b"e") or fields.get("e")
        try:
            events.append(ClickEvent.decode(raw))
        except (TypeError, ValueError, KeyError) as error:
            # Never written by our redirect: nothing to store, and keeping it would block the stream forever.
            logger.error("clicks: dropping unreadable stream entry %s (%s)", entry_id, error)
            result.dropped += 1
    result.read += len(ids)
    close_old_connections()
    result.stored += store_clicks(events)
    # Only now, after the commit: a flusher that dies before this line leaves the entries pending for another.
    pipeline = client.pipeline(transaction=False)
    pipeline.xack(stream, GROUP, *ids)
    pipeline.xdel(stream, *ids)
    pipeline.execute()
