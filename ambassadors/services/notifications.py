"""A member reading their notifications: one opened, or all marked as read."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from advocacy.models import Membership
from ambassadors.models import Notification
from ambassadors.selectors import unread_notification_count


def notification_mark_read(*, notification: Notification, now: datetime | None = None) -> Notification:
    """Mark one of the member's notifications read (the first time only: reading it again keeps the first moment)."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(
            organization=notification.organization_id, pk=notification.pk, read_at__isnull=True
        ).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, membership: Membership, now: datetime | None = None) -> int:
    """Mark every unread notification of the member read; returns how many."""
    return Notification.objects.filter(
        organization=membership.organization_id, membership=membership, read_at__isnull=True
    ).update(read_at=now or timezone.now())


def local_url(url: str) -> str:
    """``url`` when it is a path of ours ("/o/acme/shares/"), else "": a notification never sends anyone elsewhere,
    whatever was stored in it."""
    if not url.startswith("/") or url.startswith(("//", "/\\")):
        return ""
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""


def unread_count_for_request(request: HttpRequest, membership: Membership) -> int:
    """The bell's number, counted once per request (the navigation may ask more than once)."""
    cached: int | None = getattr(request, "_relais_unread_notifications", None)
    if cached is None:
        cached = unread_notification_count(membership=membership)
        request._relais_unread_notifications = cached  # type: ignore[attr-defined]
    return cached
