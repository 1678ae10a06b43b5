"""Publishing tasks: the per-minute beat tick that enqueues due and stuck shares, and the publish of one share. Both
are routed to the ``publish`` queue (``CELERY_TASK_ROUTES``), so publishing never waits behind other work.

The schedule lives in the database (``scheduled_at``, ``not_before``): no task is ever sent with an ETA or a
countdown, so a broker's visibility timeout can never run one twice (R10), and a flushed Redis loses nothing (R9).
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from advocacy.locks import tick_once
from advocacy.tasks import TenantTask
from ambassadors.services.publishing import claim_stale_after, share_publish_run
from ambassadors.ticks.publishing import due_shares, stuck_shares

# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
TICK_LOCK_SECONDS = 50


def queued_key(organization_id: int, share_id: int) -> str:
    return f"org:{organization_id}:publish-queued:{share_id}"


def send_publish(*, organization_id: int, share_id: int) -> bool:
    """Enqueue ``publish_share`` unless a message for this share is already queued or running (a short guard in the
    cache, released by the task when it ends): consecutive ticks do not flood the queue. True when sent."""
    key = queued_key(organization_id, share_id)
    if not cache.add(key, 1, int(settings.RELAIS_PUBLISH_QUEUED_GUARD)):
        return False
    try:
        publish_share.apply_async(kwargs={"organization_id": organization_id, "share_id": share_id})
    except Exception:
        cache.delete(key)
        raise
    return True


@shared_task(
    base=TenantTask,
    bind=True,
    name="ambassadors.publish_share",
    acks_late=True,
    reject_on_worker_lost=True,
)
def publish_share(self: TenantTask, *, organization_id: int, share_id: int) -> str:
    """Publish one share if it is due (``ambassadors.services.publishing.share_publish_run``); returns its status
    after the run, or ``"skipped"``.

    Safe to run twice or concurrently: the claim is a compare-and-set, so a redelivered message, a duplicate from two
    ticks or a second worker does nothing. Acknowledged late and rejected back to the queue if the worker dies; a
    claim left behind goes stale and the tick hands it to another worker, which reconciles an unknown call.
    """
    try:
        return share_publish_run(share_id=share_id)
    finally:
        cache.delete(queued_key(organization_id, share_id))


def enqueue_due_publishes(*, now: datetime | None = None) -> int:
    """Enqueue a publish for every due share and every share stuck with a stale claim; returns how many were sent."""
    now = now or timezone.now()
    pairs = due_shares(now=now) + stuck_shares(claimed_before=now - claim_stale_after())
    return sum(send_publish(organization_id=organization_id, share_id=share_id) for share_id, organization_id in pairs)


@shared_task(name="ambassadors.publish_due_shares")
def publish_due_shares() -> int:
    """Beat tick, every minute (cross-tenant): enqueue the due and stuck shares, each in its own organisation."""
    if not tick_once("ambassadors:publish-tick", TICK_LOCK_SECONDS):
        return 0
    return enqueue_due_publishes()
