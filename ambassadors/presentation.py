"""Wording for the screen, shared by the pages, the API's serializers and the staff admin: how a connection is doing,
what a share waits for and the one click that fixes it, why it is to post yourself or cancelled, and the buttons a
share offers. Services decide; this only says it in the member's language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.models import SocialConnection
from ambassadors.selectors import effective_expiry, refreshable
from ambassadors.services.connections import EXPIRY_WARNING

# --- Connections ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionHealth:
    """How a connection is doing, in words for the member: ``state`` is connected, expiring, needs_reconnect or
    disconnected; ``days_left`` counts to the end of an access that will not renew itself (None: it renews)."""

    state: str
    days_left: int | None
    message: str
    expires_at: datetime | None = None


def reconnect_reason(code: str) -> str:
    reasons = SocialConnection.ReconnectReason
    return str((reasons(code) if code in reasons.values else reasons.TOKEN_REJECTED).label)


def connection_health(connection: SocialConnection, *, now: datetime | None = None) -> ConnectionHealth:
    now = now or timezone.now()
    status = SocialConnection.Status
    if connection.status == status.DISCONNECTED:
        return ConnectionHealth("disconnected", None, _("Disconnected"))
    if connection.status == status.NEEDS_RECONNECT:
        reason = reconnect_reason(connection.last_error_code)
        return ConnectionHealth("needs_reconnect", None, _("Needs reconnecting: %(reason)s") % {"reason": reason})
    expires = effective_expiry(connection, refreshable=refreshable(connection))
    if expires is not None and expires <= now:
        return ConnectionHealth(
            "needs_reconnect", 0, _("Needs reconnecting: %(reason)s") % {"reason": reconnect_reason("expired")}, expires
        )
    name = connection.display_name or connection.username or connection.provider_uid
    if expires is None:
        return ConnectionHealth("connected", None, _("Connected as %(name)s") % {"name": name})
    days = max(1, math.ceil((expires - now).total_seconds() / 86400))
    if expires - now <= EXPIRY_WARNING:
        message = _("Expires in %(days)d days — reconnect now") if days > 1 else _("Expires in 1 day — reconnect now")
        return ConnectionHealth("expiring", days, message % {"days": days}, expires)
    return ConnectionHealth("connected", days, _("Connected as %(name)s") % {"name": name}, expires)


@dataclass(frozen=True)
class HealthRow:
    connection_id: int
    membership_id: int
    member_name: str
    member_email: str
    provider: str
    network: str
    account: str
    health: ConnectionHealth


def health_rows(connections: QuerySet[SocialConnection]) -> list[HealthRow]:
    """The admins' health table: one row per connection of ``organization_live_connections``."""
    now = timezone.now()
    return [
        HealthRow(
            connection_id=row.pk,
            membership_id=row.membership_id,
            member_name=row.membership.user.display_name,
            member_email=row.membership.user.email,
            provider=row.provider,
            network=row.get_provider_display(),
            account=row.display_name or row.username or row.provider_uid,
            health=connection_health(row, now=now),
        )
        for row in connections
    ]
