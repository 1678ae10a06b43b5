"""The cross-tenant listing of the metrics tick (security-and-reliability.md §1.3): the connections that have shares
due for a metrics poll, as (connection id, organisation id) pairs and nothing else. Each poll then runs in its own
organisation's scope (``ambassadors.tasks.metrics.poll_connection_metrics``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min
from django.utils import timezone

from advocacy.tenancy import scopes_disabled
from ambassadors.models import ProviderPause, Share, SocialConnection

MAX_CONNECTIONS_PER_TICK = 500


def due_metrics_connections(
    *, now: datetime | None = None, limit: int = MAX_CONNECTIONS_PER_TICK
) -> list[tuple[int, int]]:
    """``(connection_id, organization_id)`` of the active connections of active organisations with published shares
    whose metrics poll is due, the longest-waiting first. A connection to reconnect or disconnected is left out
    (its shares wait, still due, and come back once it is reconnected), as is a network paused for the platform and
    a connection whose token may not read figures (every call would be refused)."""
    now = now or timezone.now()
    with scopes_disabled():
        rows = (
            Share.objects.filter(
                status=Share.Status.PUBLISHED,
                metrics_state=Share.MetricsState.POLLING,
                metrics_next_poll_at__lte=now,
                published_at__isnull=False,
                connection__status=SocialConnection.Status.ACTIVE,
                connection__metrics_granted=True,
                organization__is_active=True,
            )
            .exclude(external_id="")
            .exclude(connection__provider__in=ProviderPause.objects.values("provider"))
            .values("connection_id", "organization_id")
            .annotate(oldest=Min("metrics_next_poll_at"))
            .order_by("oldest", "connection_id")[:limit]
        )
        return [(int(row["connection_id"]), int(row["organization_id"])) for row in rows]
