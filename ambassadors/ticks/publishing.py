"""The cross-tenant listings of the publish tick (security-and-reliability.md §1.3): the shares due and the shares
stuck with a dead worker's claim, as (share id, organisation id) pairs and nothing else. Each publish then runs in its
own organisation's scope (``ambassadors.tasks.publishing.publish_share``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from advocacy.tenancy import scopes_disabled
from ambassadors.models import BILLING_PAUSES, ProviderPause, Share

MAX_SHARES_PER_TICK = 1000


def due_shares(*, now: datetime | None = None, limit: int = MAX_SHARES_PER_TICK) -> list[tuple[int, int]]:
    """``(share_id, organization_id)`` of the scheduled shares of active organisations whose time has come
    (``scheduled_at`` and ``not_before`` past), the longest-waiting first, at most one per connected account whose
    pacing slot and rate limit are free: a burst on one account goes out one share per tick, and the others wait in
    the database rather than in the queue. Networks paused for the platform are left out."""
    now = now or timezone.now()
    slot_free = Q(connection__isnull=True) | (
        (Q(connection__next_publish_at__isnull=True) | Q(connection__next_publish_at__lte=now))
        & (Q(connection__rate_limited_until__isnull=True) | Q(connection__rate_limited_until__lte=now))
    )
    with scopes_disabled():
        paused = ProviderPause.objects.exclude(provider="x", kind__in=BILLING_PAUSES).values("provider")
        rows = (
            Share.objects.filter(
                slot_free,
                status=Share.Status.SCHEDULED,
                scheduled_at__lte=now,
                network__in=("linkedin", "x"),
                organization__is_active=True,
            )
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .exclude(network__in=paused)
            .order_by("scheduled_at", "pk")
            .values_list("pk", "organization_id", "connection_id")[: limit * 5]
        )
        picked: list[tuple[int, int]] = []
        accounts: set[int] = set()
        for share_id, organization_id, connection_id in rows:
            if connection_id is not None:
                if connection_id in accounts:
                    continue
                accounts.add(connection_id)
            picked.append((int(share_id), int(organization_id)))
            if len(picked) >= limit:
                break
        return picked


def stuck_shares(*, claimed_before: datetime, limit: int = MAX_SHARES_PER_TICK) -> list[tuple[int, int]]:
    """``(share_id, organization_id)`` of the shares still ``publishing`` under a claim older than ``claimed_before``:
    their worker died (or its message was lost with Redis). The worker that takes them over reconciles any call that
    was in flight."""
    with scopes_disabled():
        rows = (
            Share.objects.filter(
                status=Share.Status.PUBLISHING, claimed_at__lt=claimed_before, organization__is_active=True
            )
            .order_by("claimed_at", "pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(share_id), int(organization_id)) for share_id, organization_id in rows]
