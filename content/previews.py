"""Link previews: what a post's link shows (OpenGraph, else <title>), fetched by a worker, cached per organisation.

The page is parsed with the standard library's ``html.parser``: we read a handful of <meta> tags and the <title>
of a page cut at 2 MB, which needs no tree, no repair of broken markup and no extra dependency.
Stored values are plain text; templates autoescape them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.db import transaction
from django.utils import timezone

from advocacy.models import Organization
from content.feeds import url_hash
from content.models import LinkPreview, Post
from content.safe_http import FetchError, UnsafeURL, safe_get

PREVIEW_MAX_AGE = timedelta(hours=24)
HTML_TYPES = ("text/html", "application/xhtml+xml")
DESCRIPTION_MAX_LENGTH = 1000
META_KEYS = frozenset({"og:title", "og:description", "og:image", "og:site_name", "description"})
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


class _HeadParser(HTMLParser):
    """Collects the first value of each interesting <meta> and the text of the first <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.in_title = False
        self.title_done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key in META_KEYS and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"]
        elif tag == "title" and not self.title_done:
            self.in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title = False
            self.title_done = True

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title_parts.append(data)


@dataclass
class PageMetadata:
    title: str = ""
    description: str = ""
    image_url: str = ""
    site_name: str = ""


def _clean(text: str, limit: int) -> str:
    """One line of plain text within ``limit`` characters (control characters and runs of spaces collapsed)."""
    return " ".join(_CONTROL_RE.sub(" ", text).split())[:limit]


def _image_url(value: str, base_url: str) -> str:
    """The absolute http(s) address of an og:image, or "" (javascript:, data: and the like are dropped)."""
    if not value.strip():
        return ""
    url = urljoin(base_url, value.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        return ""
    return url


def _decode(body: bytes, content_type: str) -> str:
    charset = ""
    for parameter in content_type.split(";")[1:]:
        name, _sep, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'")
    if not charset:
        declared = _CHARSET_RE.search(body[:2048])
        charset = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def parse_page(html: str, *, base_url: str) -> PageMetadata:
    """OpenGraph first, then <title> and <meta name="description">; relative images resolved against the page."""
    parser = _HeadParser()
    parser.feed(html)
    parser.close()
    meta = parser.meta
    return PageMetadata(
        title=_clean(meta.get("og:title") or "".join(parser.title_parts), 300),
        description=_clean(meta.get("og:description") or meta.get("description", ""), DESCRIPTION_MAX_LENGTH),
        image_url=_image_url(meta.get("og:image", ""), base_url),
        site_name=_clean(meta.get("og:site_name", ""), 200),
    )


def _is_fresh(preview: LinkPreview) -> bool:
    return preview.fetched_at is not None and timezone.now() - preview.fetched_at < PREVIEW_MAX_AGE


@transaction.atomic
def preview_request(*, organization: Organization, url: str, post: Post | None = None) -> LinkPreview:
    """The organisation's cached preview of ``url``, fetched again on commit when new or older than 24 hours.

    With ``post``, the post is linked to the preview. Never refuses: an unsafe or broken link ends as a refused
    or failed preview, and the post is saved all the same.
    """
    from content.tasks import fetch_link_preview

    preview, _created = LinkPreview.objects.get_or_create(
        organization=organization, url_hash=url_hash(url), defaults={"url": url[:2000]}
    )
    if post is not None and post.link_preview_id != preview.pk:
        Post.objects.filter(pk=post.pk, organization=organization).update(link_preview=preview)
        post.link_preview = preview
    if preview.status == LinkPreview.Status.PENDING or not _is_fresh(preview):
        transaction.on_commit(partial(fetch_link_preview.delay, organization_id=organization.pk, preview_id=preview.pk))
    return preview


def _fetch(url: str) -> tuple[str, PageMetadata, str, dict[str, Any]]:
    """(status, metadata, error code, its parameters) for one fetch; the network part, outside any transaction."""
    try:
        response = safe_get(url, accept_types=HTML_TYPES)
    except UnsafeURL as error:
        return LinkPreview.Status.REFUSED, PageMetadata(), error.message, error.params
    except FetchError as error:
        return LinkPreview.Status.FAILED, PageMetadata(), error.message, error.params
    if response.status != 200:
        return LinkPreview.Status.FAILED, PageMetadata(), "http_status", {"status": response.status}
    html = _decode(response.body, response.headers.get("Content-Type", ""))
    return LinkPreview.Status.OK, parse_page(html, base_url=response.final_url), "", {}


def preview_fetch(*, preview: LinkPreview) -> LinkPreview:
    """Fetch and store one preview (the body of the ``fetch_link_preview`` task).

    Not atomic as a whole on purpose: no transaction stays open while the page downloads (up to 5 s). Running
    twice is harmless: a preview fetched less than 24 hours ago is left as it is.
    """
    if preview.status != LinkPreview.Status.PENDING and _is_fresh(preview):
        return preview
    status, metadata, error_code, error_params = _fetch(preview.url)
    fields = {
        "status": status,
        "title": metadata.title,
        "description": metadata.description,
        "image_url": metadata.image_url,
        "site_name": metadata.site_name,
        "error_code": error_code,
        "error_params": error_params,
        "error": "",
        "fetched_at": timezone.now(),
    }
    LinkPreview.objects.filter(pk=preview.pk, organization_id=preview.organization_id).update(**fields)
    for name, value in fields.items():
        setattr(preview, name, value)
    return preview
