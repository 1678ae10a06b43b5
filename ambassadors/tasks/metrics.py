"""Metrics polling: the beat tick that fans out per connection, and the poll of one connection. Both are routed to
the ``metrics`` queue (``CELERY_TASK_ROUTES``), so polling never delays publishing."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.core.cache import cache

from advocacy.locks import cache_lock, tick_once
from advocacy.tasks import TenantTask
from ambassadors.metrics import connection_metrics_poll
from ambassadors.models import SocialConnection
from ambassadors.ticks.metrics import due_metrics_connections

# Longer than one poll may take (CELERY_TASK_TIME_LIMIT): a second message for the connection returns at once.
POLL_LOCK_SECONDS = 600
# A connection enqueued by one tick is not enqueued again by the next while its poll waits in the queue; the poll
# releases it when it ends, so a connection with more due shares than one poll reads is taken up at the next tick.
ENQUEUED_GUARD_SECONDS = 15 * 60
# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
TICK_LOCK_SECONDS = 60


def enqueued_key(organization_id: int, connection_id: int) -> str:
    return f"org:{organization_id}:metrics-enqueued:{connection_id}"


@shared_task(base=TenantTask, bind=True, name="ambassadors.poll_connection_metrics")
def poll_connection_metrics(self: TenantTask, *, organization_id: int, connection_id: int) -> dict[str, Any]:
    """Poll the due shares of one connection (``ambassadors.metrics.connection_metrics_poll``).

    Safe to run twice: a run while another polls the same connection returns at once, and a later run finds the
    shares moved on to their next slot (a replay within a slot only rewrites its snapshots). A connection gone or
    not usable is left alone, and so are its shares.
    """
    try:
        with cache_lock(f"org:{organization_id}:metrics-poll:{connection_id}", POLL_LOCK_SECONDS) as acquired:
            if not acquired:
                return {"outcome": "locked"}
            connection = SocialConnection.objects.filter(pk=connection_id, organization_id=organization_id).first()
            if connection is None:
                return {"outcome": "missing"}
            return asdict(connection_metrics_poll(connection=connection))
    finally:
        cache.delete(enqueued_key(organization_id, connection_id))


@shared_task(name="ambassadors.poll_due_metrics")
def poll_due_metrics() -> int:
    """Beat tick (cross-tenant): enqueue one ``poll_connection_metrics`` per connection with shares due, each in its
    own organisation. Returns how many were enqueued."""
    if not tick_once("ambassadors:metrics-tick", TICK_LOCK_SECONDS):
        return 0
    enqueued = 0
    for connection_id, organization_id in due_metrics_connections():
        if cache.add(enqueued_key(organization_id, connection_id), 1, ENQUEUED_GUARD_SECONDS):
            poll_connection_metrics.apply_async(
                kwargs={"organization_id": organization_id, "connection_id": connection_id}
            )
            enqueued += 1
    return enqueued
