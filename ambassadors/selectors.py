"""Reads of the ambassadors app. Each selector filters by the organisation explicitly (the scope is the second lock)
and owns its ``select_related`` so list pages run a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import BooleanField, Case, QuerySet, Sum, Value, When
from django.utils import timezone

from advocacy.models import Membership, Organization
from ambassadors.models import PublishingSettings, Share, SocialConnection

# --- Connections ---------------------------------------------------------------------------------------------------


def without_tokens(connections: QuerySet[SocialConnection]) -> QuerySet[SocialConnection]:
    """``connections`` without their sealed tokens, annotated with what ``refreshable`` needs of them: lists for
    admins never load a token."""
    return connections.defer("access_token_sealed", "refresh_token_sealed").annotate(
        has_refresh=Case(
            When(refresh_token_sealed="", then=Value(False)), default=Value(True), output_field=BooleanField()
        )
    )


def refreshable(connection: SocialConnection) -> bool:
    # Lists built on without_tokens carry the annotation: reading the deferred column would load the sealed token.
    annotated = getattr(connection, "has_refresh", None)
    return bool(connection.refresh_token_sealed) if annotated is None else bool(annotated)


def effective_expiry(connection: SocialConnection, *, refreshable: bool) -> datetime | None:
    """When the member must consent again: the refresh token's end if renewable, else the access token's."""
    return connection.refresh_expires_at if refreshable else connection.access_expires_at


def member_connections(*, membership: Membership) -> QuerySet[SocialConnection]:
    """The member's live connections (connected or waiting for a reconnect), one per network at most."""
    return (
        SocialConnection.objects.filter(organization=membership.organization_id, membership=membership)
        .exclude(status=SocialConnection.Status.DISCONNECTED)
        .order_by("provider")
    )


def organization_live_connections(*, organization: Organization) -> QuerySet[SocialConnection]:
    """Every live connection of the organisation, for admins, by member then network. The sealed tokens are never
    loaded, only whether a refresh token exists."""
    return (
        without_tokens(SocialConnection.objects.filter(organization=organization))
        .exclude(status=SocialConnection.Status.DISCONNECTED)
        .select_related("membership__user")  # the member's name and e-mail on each row, in the same query
        .order_by("membership__user__full_name", "membership__user__email", "provider")
    )


# --- Publishing ----------------------------------------------------------------------------------------------------


def publishing_settings(*, organization: Organization) -> PublishingSettings:
    """The organisation's publishing settings; the defaults (unsaved: reading writes nothing) until an admin saves
    them."""
    found = PublishingSettings.objects.filter(organization=organization).first()
    return found if found is not None else PublishingSettings(organization=organization)


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def x_month_spend(*, organization: Organization, now: datetime | None = None) -> Decimal:
    """What the organisation's X posts cost this calendar month (UTC, as X bills): the sum of the published shares'
    ``cost``."""
    start = _month_start(now or timezone.now())
    total = Share.objects.filter(
        organization=organization, network="x", status=Share.Status.PUBLISHED, published_at__gte=start
    ).aggregate(total=Sum("cost"))["total"]
    return Decimal(total or 0)
