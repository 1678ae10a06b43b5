"""RSS/Atom curation: the feed sources an editor follows, and the polling that turns their new entries into
suggestions in the editors' inbox.

Feeds are fetched only through ``content.safe_http.safe_get`` (editors type these addresses: the same SSRF rules as
link previews apply) and parsed by feedparser from the bytes we fetched, never from a URL.
"""

from __future__ import annotations

import calendar
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax import SAXParseException

import feedparser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone, translation
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.translation import gettext as _

from advocacy.errors import ServiceError
from advocacy.models import Organization, User
from advocacy.services import audit_log, save_or_refuse
from content.models import FeedSource, Suggestion
from content.safe_http import FetchError, safe_get

FEED_CONTENT_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
)
MAX_FEED_BYTES = 2_000_000
MAX_ITEMS_PER_DAY_LIMIT = 100
CAP_WINDOW = timedelta(hours=24)
UPDATABLE_FIELDS = frozenset({"name", "url", "active", "max_items_per_day"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMETERS = ("utm_",)
_web_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class PollResult:
    new_items: int = 0
    skipped_duplicates: int = 0
    skipped_over_cap: int = 0
    not_modified: bool = False
    error: str = ""


@dataclass(frozen=True)
class _Entry:
    guid: str
    url: str
    url_hash: str
    title: str
    published_at: datetime | None


def normalize_url(url: str) -> str:
    """The form of a link used to recognise the same article: scheme and host lower-cased, default port, fragment
    and utm_* tracking parameters dropped (feeds often add ``utm_source=rss`` to the link a member shared)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(_TRACKING_PARAMETERS)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def url_hash(url: str) -> str:
    """The de-duplication key of a link in an organisation's inbox (``Suggestion.url_hash``)."""
    return hashlib.sha256(normalize_url(url).encode()).hexdigest()


def _is_web_url(url: str) -> bool:
    try:
        _web_url_validator(url)
    except ValidationError:
        return False
    return len(url) <= 2000


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not _is_web_url(url):
        raise ServiceError(
            _("Enter the full address of the feed, starting with http:// or https://."), code="invalid_url", field="url"
        )
    return url


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ServiceError(_("Give the feed a name of at most 120 characters."), code="invalid_name", field="name")
    return name


def _clean_cap(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ITEMS_PER_DAY_LIMIT:
        raise ServiceError(
            _("The number of new items a day must be between 1 and %(limit)s.") % {"limit": MAX_ITEMS_PER_DAY_LIMIT},
            code="invalid_cap",
            field="max_items_per_day",
        )
    return value


def _duplicate_url_error() -> ServiceError:
    return ServiceError(
        _("This organisation already follows a feed at this address."), code="duplicate_url", field="url"
    )


def _save_unique(source: FeedSource, update_fields: list[str] | None = None) -> None:
    save_or_refuse(source, refusal=_duplicate_url_error(), update_fields=update_fields)


@transaction.atomic
def feed_source_create(
    *, organization: Organization, name: str, url: str, by: User, max_items_per_day: int = 10
) -> FeedSource:
    """Follow a feed. The first poll happens at the next feed tick. Raises ServiceError on a bad or duplicate URL."""
    url = _clean_url(url)
    source = FeedSource(
        organization=organization,
        name=_clean_name(name),
        url=url,
        max_items_per_day=_clean_cap(max_items_per_day),
        created_by=by,
    )
    if FeedSource.objects.filter(organization=organization, url=url).exists():
        raise _duplicate_url_error()
    _save_unique(source)
    audit_log(organization=organization, actor=by, action="feed.created", target=source, data={"url": url})
    return source


@transaction.atomic
def feed_source_update(*, source: FeedSource, by: User, **changes: Any) -> FeedSource:
    """Change a feed's name, address, active flag or daily cap. A new address forgets the old conditional-GET
    validators and error, which belonged to the old address."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"feed_source_update() cannot change {sorted(unknown)}")
    cleaners = {"name": _clean_name, "url": _clean_url, "max_items_per_day": _clean_cap, "active": bool}
    cleaned = {field: cleaners[field](value) for field, value in changes.items()}
    changed = sorted(field for field, value in cleaned.items() if getattr(source, field) != value)
    if not changed:
        return source
    if "url" in changed:
        others = FeedSource.objects.filter(organization_id=source.organization_id).exclude(pk=source.pk)
        if others.filter(url=cleaned["url"]).exists():
            raise _duplicate_url_error()
        cleaned.update(etag="", last_modified="", last_error="", last_error_code="", last_error_params={})
    for field, value in cleaned.items():
        setattr(source, field, value)
    _save_unique(source, update_fields=list(cleaned))
    audit_log(
        organization=source.organization, actor=by, action="feed.updated", target=source, data={"fields": changed}
    )
    return source


@transaction.atomic
def feed_source_delete(*, source: FeedSource, by: User) -> None:
    """Stop following a feed. Its inbox items go with it (``Suggestion.source`` cascades); posts made from them
    stay."""
    audit_log(
        organization=source.organization,
        actor=by,
        action="feed.deleted",
        target=source,
        data={"name": source.name, "url": source.url},
    )
    source.delete()


def _conditional_headers(source: FeedSource) -> dict[str, str]:
    headers = {}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    return headers


def _published_at(entry: Mapping[str, Any]) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    # feedparser normalises dates to UTC struct_time; timegm reads them as UTC.
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def _entries(parsed: Any) -> list[_Entry]:
    """The usable entries of a parsed feed, in feed order: those with an http(s) link."""
    entries = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "").strip()
        if not _is_web_url(link):
            continue
        entries.append(
            _Entry(
                guid=str(entry.get("id") or link)[:500],
                url=link,
                url_hash=url_hash(link),
                title=" ".join(str(entry.get("title") or "").split())[:300],
                published_at=_published_at(entry),
            )
        )
    return entries


@dataclass(frozen=True)
class _Failure:
    """Why a poll failed: a code of ``content.feed_messages`` and its parameters, stored as such on the source."""

    code: str
    params: dict[str, Any]


def _parse(body: bytes, *, content_type: str, final_url: str) -> tuple[list[_Entry], _Failure | None]:
    """Parse a fetched document. Returns (usable entries, None) or ([], why it failed).

    The body goes in as a stream: feedparser treats a bytes or str argument as a URL or a local file name.
    """
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers={"content-type": content_type, "content-location": final_url}
        )
    except Exception as exc:  # noqa: BLE001 - hostile input must end as a stored error, never a crashed poll
        return [], _Failure("invalid_other", {"detail": str(exc) or type(exc).__name__})
    if not parsed.version:
        return [], _bozo_failure(parsed) or _Failure("invalid_no_root", {})
    entries = _entries(parsed)
    # feedparser's lenient parser salvages what it can from a broken document (often one empty entry): a feed
    # with a small fault still delivers its entries, one from which nothing usable was salvaged is broken.
    if parsed.bozo and not entries:
        return [], _bozo_failure(parsed) or _Failure("invalid_unreadable", {})
    return entries, None


def _bozo_failure(parsed: Any) -> _Failure | None:
    exc = parsed.get("bozo_exception")
    if isinstance(exc, SAXParseException):
        params = {"line": exc.getLineNumber(), "column": exc.getColumnNumber(), "message": exc.getMessage()}
        return _Failure("invalid_syntax", params)
    return _Failure("invalid_other", {"detail": str(exc)[:300]}) if exc else None


def _record_failure(source: FeedSource, now: datetime, failure: _Failure) -> PollResult:
    fields = {"last_error_code": failure.code, "last_error_params": failure.params, "last_error": ""}
    FeedSource.objects.filter(pk=source.pk).update(last_polled_at=now, **fields)
    source.last_polled_at = now
    for name, value in fields.items():
        setattr(source, name, value)
    return PollResult(error=source.last_error_message)


def _fetch(source: FeedSource, now: datetime) -> tuple[list[_Entry], CaseInsensitiveMapping[str]] | PollResult:
    """Fetch and parse. Returns (entries, response headers), or the result to report when there is nothing to store."""
    try:
        response = safe_get(
            source.url, headers=_conditional_headers(source), max_bytes=MAX_FEED_BYTES, accept_types=FEED_CONTENT_TYPES
        )
        # A cut XML document would parse as a shorter feed, or not at all: refuse it whole.
        response.require_complete(max_bytes=MAX_FEED_BYTES)
    except FetchError as exc:
        return _record_failure(source, now, _Failure("fetch", {"message": exc.message, **exc.params}))
    if response.status == 304:
        # The server answered correctly: a feed that failed once is healthy again, with nothing new.
        FeedSource.objects.filter(pk=source.pk).update(
            last_polled_at=now, last_success_at=now, last_error="", last_error_code="", last_error_params={}
        )
        source.last_polled_at, source.last_success_at, source.last_error = now, now, ""
        source.last_error_code, source.last_error_params = "", {}
        return PollResult(not_modified=True)
    if not 200 <= response.status < 300:
        return _record_failure(source, now, _Failure("http_status", {"status": response.status}))
    entries, failure = _parse(
        response.body, content_type=response.headers.get("Content-Type", ""), final_url=response.final_url
    )
    if failure is not None:
        return _record_failure(source, now, failure)
    return entries, response.headers


def _select_new(source: FeedSource, entries: Iterable[_Entry], now: datetime) -> tuple[list[_Entry], int, int]:
    """Split entries into (new ones within the daily cap, duplicates, over cap). Runs with the source row locked."""
    entries = list(entries)
    known_guids = set(
        Suggestion.objects.filter(source=source, guid__in=[e.guid for e in entries]).values_list("guid", flat=True)
    )
    # Any suggestion of the organisation counts, a member's or another feed's.
    known_hashes = set(
        Suggestion.objects.filter(
            organization_id=source.organization_id, url_hash__in=[e.url_hash for e in entries]
        ).values_list("url_hash", flat=True)
    )
    room = max(
        0, source.max_items_per_day - Suggestion.objects.filter(source=source, created_at__gt=now - CAP_WINDOW).count()
    )
    new: list[_Entry] = []
    duplicates = over_cap = 0
    for entry in entries:
        if entry.guid in known_guids or entry.url_hash in known_hashes:
            duplicates += 1
        elif len(new) >= room:
            over_cap += 1
        else:
            new.append(entry)
            known_guids.add(entry.guid)
            known_hashes.add(entry.url_hash)
    return new, duplicates, over_cap


@transaction.atomic
def _store(
    source: FeedSource, entries: list[_Entry], headers: CaseInsensitiveMapping[str], now: datetime
) -> PollResult:
    # Lock the source row: a poll started by hand while the tick's poll runs waits here, so the duplicate and cap
    # counts below are exact.
    FeedSource.objects.select_for_update().get(pk=source.pk)
    new, duplicates, over_cap = _select_new(source, entries, now)
    Suggestion.objects.bulk_create(
        [
            Suggestion(
                organization_id=source.organization_id,
                source=source,
                guid=e.guid,
                url=e.url,
                url_hash=e.url_hash,
                title=e.title,
                published_at=e.published_at,
                status=Suggestion.Status.NEW,
            )
            for e in new
        ],
        ignore_conflicts=True,
    )
    source.etag = headers.get("ETag", "")[:300]
    source.last_modified = headers.get("Last-Modified", "")[:100]
    source.last_polled_at = source.last_success_at = now
    source.last_error = source.last_error_code = ""
    source.last_error_params = {}
    source.save(
        update_fields=[
            "etag",
            "last_modified",
            "last_polled_at",
            "last_success_at",
            "last_error",
            "last_error_code",
            "last_error_params",
        ]
    )
    result = PollResult(new_items=len(new), skipped_duplicates=duplicates, skipped_over_cap=over_cap)
    if new:
        audit_log(
            organization=source.organization,
            actor=None,
            action="feed.polled",
            target=source,
            data={"new_items": len(new), "skipped_duplicates": duplicates, "skipped_over_cap": over_cap},
        )
    return result


def feed_source_poll(*, source: FeedSource, now: datetime | None = None) -> PollResult:
    """Fetch a feed with a conditional GET and add its new entries to the inbox.

    Never raises for a broken feed: a refused address, a transport error, an HTTP error or a document that is not
    RSS/Atom is stored as ``last_error_code`` and ``last_error_params`` (worded in the reader's language when shown)
    and returned, in the organisation's language, in ``PollResult.error``.
    Safe to run twice: entries are de-duplicated by GUID per source and by URL per organisation. Not atomic as a
    whole on purpose: no database transaction stays open during the HTTP request; the writes are one transaction.
    """
    now = now or timezone.now()
    # PollResult.error (the task's answer, a log line) speaks the organisation's language, whoever polls.
    with translation.override(source.organization.language):
        fetched = _fetch(source, now)
    if isinstance(fetched, PollResult):
        return fetched
    entries, headers = fetched
    return _store(source, entries, headers, now)
