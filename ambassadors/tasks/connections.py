"""Tasks of connected accounts: the hourly beat tick, the refresh ahead of expiry and the expiry notice.

Tasks take ids, never tokens (a Celery message or result must never carry one). Each is safe to run twice: the
refresh is a single flight under the row lock (a second run finds the new token version or a token no longer due),
the warning is claimed by a compare-and-set on ``expiry_warned_at``, and marking for reconnection is idempotent.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from advocacy.locks import tick_once
from advocacy.tasks import TenantTask
from ambassadors.models import SocialConnection
from ambassadors.providers.base import ProviderError, ReconnectRequired
from ambassadors.selectors import effective_expiry, refreshable
from ambassadors.services.connections import connection_mark_needs_reconnect, connection_warn_expiry, fresh_access_token
from ambassadors.ticks.connections import (
    LINKEDIN_REFRESH_AHEAD,
    X_REFRESH_IDLE,
    due_expiry_checks,
    due_refreshes,
)

logger = logging.getLogger("relais.connections")

# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
TICK_LOCK_SECONDS = 5 * 60


def _still_due(connection: SocialConnection) -> bool:
    now = timezone.now()
    if connection.status != SocialConnection.Status.ACTIVE or not connection.refresh_token_sealed:
        return False
    if connection.provider == SocialConnection.Provider.LINKEDIN:
        expires = connection.access_expires_at
        return expires is not None and expires < now + LINKEDIN_REFRESH_AHEAD
    last = connection.last_refreshed_at or connection.connected_at
    return last is None or last < now - X_REFRESH_IDLE


@shared_task(base=TenantTask, bind=True, name="ambassadors.refresh_connection")
def refresh_connection(self: TenantTask, *, organization_id: int, connection_id: int) -> str:
    """Refresh one connection's tokens ahead of expiry (``default`` queue). Returns what happened.

    A refusal marks the connection and tells the member (``fresh_access_token`` does); a transient failure is left
    to the next tick, which lists the connection again while it is due.
    """
    connection = SocialConnection.objects.filter(pk=connection_id, organization_id=organization_id).first()
    if connection is None or not _still_due(connection):
        return "not_due"
    try:
        fresh_access_token(connection=connection, force_refresh=True)
    except ReconnectRequired:
        return "reconnect"
    except ProviderError as error:
        logger.warning("refresh of connection %s failed: %s (%s)", connection_id, error.code, error.outcome)
        return error.outcome
    return "refreshed"


@shared_task(base=TenantTask, bind=True, name="ambassadors.check_connection_expiry")
def check_connection_expiry(self: TenantTask, *, organization_id: int, connection_id: int) -> str:
    """Warn the member a week before an access that cannot be renewed ends, and mark the connection for
    reconnection once it has ended (``default`` queue). Returns what happened."""
    connection = SocialConnection.objects.filter(pk=connection_id, organization_id=organization_id).first()
    if connection is None or connection.status != SocialConnection.Status.ACTIVE:
        return "skipped"
    expires = effective_expiry(connection, refreshable=refreshable(connection))
    if expires is None:
        return "skipped"
    if expires <= timezone.now():
        connection_mark_needs_reconnect(connection=connection, code="expired")
        return "expired"
    return "warned" if connection_warn_expiry(connection=connection) else "skipped"


@shared_task(name="ambassadors.connections_tick")
def connections_tick() -> dict[str, Any]:
    """Beat tick (cross-tenant, hourly): enqueue one task per connection to refresh or to check for expiry, each in
    its own organisation. Returns how many of each were enqueued."""
    if not tick_once("ambassadors:connections-tick", TICK_LOCK_SECONDS):
        return {"refresh": 0, "expiry": 0}
    refreshes, checks = due_refreshes(), due_expiry_checks()
    for connection_id, organization_id in refreshes:
        refresh_connection.apply_async(kwargs={"organization_id": organization_id, "connection_id": connection_id})
    for connection_id, organization_id in checks:
        check_connection_expiry.apply_async(kwargs={"organization_id": organization_id, "connection_id": connection_id})
    return {"refresh": len(refreshes), "expiry": len(checks)}
