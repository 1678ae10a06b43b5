"""The clicks' background work, on the ``clicks`` queue: the flusher (every few seconds), and the hourly
maintenance (partitions ahead, retention, yesterday's visitor keys destroyed)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from advocacy.locks import cache_lock
from advocacy.models import Organization
from analytics import partitions
from analytics.clicks import flush_stream, local_day

# A flush stops after this many seconds so that beat's next message finds the queue free; the next one goes on.
FLUSH_SECONDS = 50.0


@shared_task(name="analytics.flush_clicks")
def flush_clicks() -> dict[str, int]:
    """Write the clicks waiting in the stream. Two flushers at once are safe (a consumer group gives each entry to
    one), so no lock: a slow flush is helped, not blocked."""
    return asdict(flush_stream(max_seconds=FLUSH_SECONDS))


@shared_task(name="analytics.maintain_clicks")
def maintain_clicks() -> dict[str, Any]:
    with cache_lock("analytics:maintain-clicks", 600) as acquired:
        if not acquired:
            return {"skipped": True}
        today = timezone.now().date()
        created = partitions.ensure_partitions(today)
        dropped = partitions.drop_expired(today, int(settings.RELAIS_CLICKS_RETENTION_MONTHS))
        forgotten = forget_past_visitors()
    return {"created": created, "dropped": dropped, "visitor_keys_deleted": forgotten}


def forget_past_visitors(now: Any = None) -> int:
    """Delete the visitor keys (and the day's visitor list) of every day that is over in the organisation's time
    zone: from then on nobody can link that day's visitor hashes to an address."""
    now = now or timezone.now()
    by_day: dict[date, list[int]] = defaultdict(list)
    for organization_id, time_zone in Organization.objects.values_list("pk", "time_zone"):
        by_day[local_day(now, time_zone)].append(organization_id)
    deleted = 0
    with connection.cursor() as cursor:
        for today, organization_ids in by_day.items():
            marks = ", ".join(["%s"] * len(organization_ids))
            params = [*organization_ids, connection.ops.adapt_datefield_value(today)]
            cursor.execute(f"DELETE FROM analytics_visitorkey WHERE organization_id IN ({marks}) AND day < %s", params)
            deleted += cursor.rowcount
            cursor.execute(
                f"DELETE FROM analytics_dailyvisitor WHERE organization_id IN ({marks}) AND day < %s", params
            )
    return deleted
