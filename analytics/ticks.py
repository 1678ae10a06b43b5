"""The cross-tenant listings of the analytics ticks (security-and-reliability.md §1.3): the members whose weekly summary
is due, and those who read the dashboard but have no row yet, as (membership id, organisation id) pairs and nothing
else; the organisations with expired exports, as ids. Each organisation's work is then done in its own scope
(``analytics.tasks.send_weekly_summaries``, ``analytics.tasks.delete_expired_exports``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from advocacy.models import Membership
from advocacy.tenancy import scopes_disabled
from analytics.models import Export, WeeklySummary
from analytics.summaries import summary_roles

MAX_PER_TICK = 20_000


def due_weekly_summaries(*, now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """``(membership_id, organization_id)`` of the summaries due at ``now`` (the ``weekly_summary_due`` index) of active
    members in a dashboard role of active organisations, the longest-waiting first; the rest come with the next tick."""
    now = now or timezone.now()
    with scopes_disabled():
        rows = (
            WeeklySummary.objects.filter(enabled=True, next_at__lte=now)
            .filter(
                organization__is_active=True,
                membership__status=Membership.Status.ACTIVE,
                membership__role__in=summary_roles(),
            )
            .order_by("next_at", "pk")
            .values_list("membership_id", "organization_id")[:limit]
        )
        return [(int(membership_id), int(organization_id)) for membership_id, organization_id in rows]


def readers_without_summary(*, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """``(membership_id, organization_id)`` of active members in a dashboard role of active organisations who have no
    row yet: their first summary is scheduled for their next Monday morning."""
    with scopes_disabled():
        rows = (
            Membership.objects.filter(
                status=Membership.Status.ACTIVE, organization__is_active=True, role__in=summary_roles()
            )
            .filter(~Exists(WeeklySummary.objects.filter(membership=OuterRef("pk"))))
            .order_by("pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(membership_id), int(organization_id)) for membership_id, organization_id in rows]


def organizations_with_expired_exports(*, now: datetime) -> set[int]:
    """The ids of the organisations that have exports past their expiry at ``now``."""
    with scopes_disabled():
        return set(Export.objects.filter(expires_at__lte=now).values_list("organization_id", flat=True).distinct())
