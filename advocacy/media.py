"""Uploaded files of an organisation: their addresses, who may read each one, and how the bytes are handed over.

Files live in the default storage (a folder or an S3-compatible bucket, see settings) under
``org/<organization id>/<folder>/…``. They are never public: ``/o/<org>/media/<folder>/…`` serves one to the
members of that organisation only, after the app that owns ``<folder>`` has said this member may read this file.
A file that no row of the organisation names is not served, so a name that is typed, guessed, traversed or left
over from a replaced image answers 404 like one that does not exist.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from PIL import Image

from advocacy.images import CONTENT_TYPES
from advocacy.models import Membership, Organization

# Given the organisation, the member asking and the file's full storage name, whether they may read it. Each app
# registers the rule of the folder it owns (from its AppConfig.ready), so the core imports no feature app.
MediaRule = Callable[[Organization, Membership, str], bool]
_rules: dict[str, MediaRule] = {}

DELIVERY_ACCEL = "x-accel"
DELIVERY_REDIRECT = "redirect"
# Lists show images small: a copy at most this many pixels a side, made on first request and kept next to the image.
THUMBNAIL_SIDE = 160
THUMBNAIL_SUFFIX = ".thumb.webp"


def register_media_rule(folder: str, rule: MediaRule) -> None:
    _rules[folder] = rule


def organization_prefix(organization: Organization | int) -> str:
    pk = organization if isinstance(organization, int) else organization.pk
    return f"org/{pk}/"


def media_url(organization: Organization, name: str) -> str:
    """The address of a stored file for members of ``organization`` ("" when the file is not one of its own)."""
    prefix = organization_prefix(organization)
    if not name.startswith(prefix):
        return ""
    return reverse("org_media", args=[organization.slug, name.removeprefix(prefix)])


def media_name(*, organization: Organization, membership: Membership, path: str) -> str:
    """The storage name ``path`` stands for, when this member may read it; Http404 otherwise.

    ``path`` is what followed ``/media/`` in the URL. Anything but plain segments is refused before any lookup.
    """
    segments = path.split("/")
    if not path or "\\" in path or "\x00" in path or any(part in ("", ".", "..") for part in segments):
        raise Http404
    rule = _rules.get(segments[0])
    name = organization_prefix(organization) + path
    if rule is None or not rule(organization, membership, name):
        raise Http404
    return name


def thumbnail_name(name: str) -> str:
    """The name of the small copy of the stored image ``name``, made now if it does not exist yet. Two first requests
    at once may both make it; the storage keeps both under distinct names and this name stays the first one."""
    thumbnail = name + THUMBNAIL_SUFFIX
    if default_storage.exists(thumbnail):
        return thumbnail
    output = io.BytesIO()
    try:
        with default_storage.open(name, "rb") as source, Image.open(source) as image:
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            image.convert("RGBA").save(output, format="WEBP", quality=80)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        # A file stored before uploads were re-encoded may not decode: it has no small copy.
        raise Http404 from exc
    default_storage.save(thumbnail, ContentFile(output.getvalue()))
    return thumbnail


def media_response(name: str) -> HttpResponseBase:
    """The file, handed over as ``RELAIS_MEDIA_DELIVERY`` says: streamed by Django (the embedded default), by the
    web server through ``X-Accel-Redirect`` (nginx reads the shared volume), or by the bucket through a redirect to a
    short-lived signed URL. Only images are stored, so the type comes from the extension the cleaner gave."""
    content_type = CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    delivery = settings.RELAIS_MEDIA_DELIVERY
    response: HttpResponseBase
    if delivery == DELIVERY_REDIRECT:
        response = HttpResponseRedirect(default_storage.url(name))
        # The signed URL expires; a browser must ask us again rather than keep a dead redirect.
        response["Cache-Control"] = "private, no-store"
        return response
    if delivery == DELIVERY_ACCEL:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.RELAIS_MEDIA_ACCEL_PREFIX + quote(name)
    else:
        try:
            handle = default_storage.open(name, "rb")
        except OSError as exc:
            raise Http404 from exc
        response = FileResponse(handle, content_type=content_type)
    if content_type not in CONTENT_TYPES.values():
        response["Content-Disposition"] = "attachment"
    # Names carry a random part and a file never changes under its name: members' browsers may keep it a day.
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _may_read_logo(organization: Organization, membership: Membership, name: str) -> bool:
    # Any member sees the branding; only the current logo is served, not one replaced since.
    return bool(organization.logo) and organization.logo.name == name


register_media_rule("branding", _may_read_logo)
