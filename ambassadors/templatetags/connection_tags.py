"""Template helpers for pages outside the ambassadors app (the organisation home): the member's unread notices. The
tenancy core's views stay unaware of this app; the template asks."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Case, IntegerField, Value, When

from ambassadors.models import Notification

register = template.Library()

# Enough to act on; the oldest unread ones wait until these are read.
NOTICES_SHOWN = 10


@register.simple_tag(takes_context=True)
def unread_notices(context: dict[str, Any]) -> list[Notification]:
    """``{% unread_notices as notices %}``: the member's unread notifications, reconnect notices first (one query)."""
    membership = context.get("membership")
    if membership is None:
        return []
    return list(
        Notification.objects.filter(
            organization=membership.organization_id, membership=membership, read_at__isnull=True
        )
        .annotate(urgent=Case(When(kind="reconnect", then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("urgent", "-created_at", "-pk")[:NOTICES_SHOWN]
    )
