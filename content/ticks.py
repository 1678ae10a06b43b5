"""The cross-tenant beat tick of RSS/Atom curation (security-and-reliability.md §1.3).

The only feed code that reads across organisations: it lists (source id, organisation id) pairs and nothing else;
each poll then runs in its own organisation's scope (``content.tasks.poll_feed_source``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from advocacy.tenancy import scopes_disabled
from content.models import FeedSource

POLL_INTERVAL = timedelta(minutes=15)
# The beat runs every POLL_INTERVAL and the polls it enqueues finish seconds later: without this grace, a source
# polled at 12:00:04 would not be due at 12:15:00 and would be polled every other tick.
TICK_GRACE = timedelta(minutes=1)
MAX_SOURCES_PER_TICK = 500


def due_feed_sources(*, now: datetime | None = None, limit: int = MAX_SOURCES_PER_TICK) -> list[tuple[int, int]]:
    """``(source_id, organization_id)`` of the active sources of active organisations not polled for
    ``POLL_INTERVAL``, the longest-waiting first (never-polled sources before all others)."""
    now = now or timezone.now()
    threshold = now - POLL_INTERVAL + TICK_GRACE
    with scopes_disabled():
        rows = (
            FeedSource.objects.filter(active=True, organization__is_active=True)
            .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=threshold))
            .order_by(F("last_polled_at").asc(nulls_first=True), "pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(source_id), int(organization_id)) for source_id, organization_id in rows]
