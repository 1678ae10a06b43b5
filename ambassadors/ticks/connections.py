"""The cross-tenant listing of connections whose tokens need care (security-and-reliability.md §2.6).

Lists ``(connection_id, organization_id)`` pairs and nothing else; the work runs in per-organisation tasks
(``ambassadors.tasks.connections``), which check again under the row lock that the work is still due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy.tenancy import scopes_disabled
from ambassadors.models import SocialConnection
from ambassadors.services.connections import EXPIRY_WARNING

# LinkedIn access tokens last 60 days: renew a week ahead, so a failing refresh still leaves days to reconnect.
LINKEDIN_REFRESH_AHEAD = timedelta(days=7)
# X access tokens (2 h) are refreshed on demand; an idle chain is renewed weekly so its refresh token stays alive.
X_REFRESH_IDLE = timedelta(days=7)
MAX_PER_TICK = 500

_ACTIVE = Q(status=SocialConnection.Status.ACTIVE, organization__is_active=True)
_RENEWABLE = ~Q(refresh_token_sealed="")


def _pairs(condition: Q, *, order: str | Combinable, limit: int) -> list[tuple[int, int]]:
    with scopes_disabled():
        rows = (
            SocialConnection.objects.filter(_ACTIVE & condition)
            .order_by(order, "pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(pk), int(organization_id)) for pk, organization_id in rows]


def due_refreshes(*, now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """Connections to refresh ahead of time: LinkedIn with a refresh token and less than a week left, X not
    refreshed for a week (its refresh chain is kept alive). Soonest expiry first."""
    now = now or timezone.now()
    linkedin = Q(provider="linkedin", access_expires_at__lt=now + LINKEDIN_REFRESH_AHEAD)
    idle_x = Q(provider="x") & (
        Q(last_refreshed_at__lt=now - X_REFRESH_IDLE)
        | Q(last_refreshed_at__isnull=True, connected_at__lt=now - X_REFRESH_IDLE)
    )
    due_at = Coalesce("access_expires_at", "last_refreshed_at", "connected_at")
    return _pairs(_RENEWABLE & (linkedin | idle_x), order=due_at, limit=limit)


def due_expiry_checks(*, now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """Connections whose access ends within the warning period with no way to renew it: not yet warned, or
    already past their end (to be marked for reconnection). The access of a renewable connection ends with its
    refresh token's life (LinkedIn: a year)."""
    now = now or timezone.now()
    horizon = now + EXPIRY_WARNING
    ending = Q(refresh_token_sealed="", access_expires_at__lt=horizon) | (
        _RENEWABLE & Q(refresh_expires_at__lt=horizon)
    )
    ended = Q(refresh_token_sealed="", access_expires_at__lte=now) | (_RENEWABLE & Q(refresh_expires_at__lte=now))
    return _pairs(ending & (Q(expiry_warned_at__isnull=True) | ended), order="access_expires_at", limit=limit)
