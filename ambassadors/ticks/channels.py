"""The cross-tenant listings of the channels tick (security-and-reliability.md §1.3): featured posts to announce to
programmes' Slack and Teams channels, and announcements due for a retry, as (id, organisation id) pairs and nothing
else. Each is then handled in its own organisation's scope (``ambassadors.tasks.channels``)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone

from advocacy.tenancy import scopes_disabled
from ambassadors.models import ProgrammeWebhook, WebhookDelivery
from ambassadors.services.channels import ANNOUNCE_WINDOW
from content.models import Post, PostProgramme

MAX_PER_TICK = 500


def posts_to_announce(*, now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """``(post_id, organization_id)`` of the featured posts of active organisations that went live within
    ``ANNOUNCE_WINDOW`` and that an active webhook of a programme they target has not been sent (a post without
    programmes targets every programme)."""
    now = now or timezone.now()
    # Inside the webhooks' subquery, OuterRef(OuterRef("pk")) is the post and OuterRef("pk") the webhook.
    the_post = OuterRef(OuterRef("pk"))
    targeted = ~Exists(PostProgramme.objects.filter(post=the_post)) | Exists(
        PostProgramme.objects.filter(post=the_post, programme=OuterRef("programme_id"))
    )
    waiting_webhooks = (
        ProgrammeWebhook.objects.filter(organization=OuterRef("organization_id"), is_active=True)
        .filter(targeted)
        .exclude(Exists(WebhookDelivery.objects.filter(webhook=OuterRef("pk"), post=the_post)))
    )
    with scopes_disabled():
        rows = (
            Post.objects.filter(Post.live_filter(now), featured=True, organization__is_active=True)
            .alias(went_live_at=Post.live_since())
            .filter(went_live_at__gte=now - ANNOUNCE_WINDOW, went_live_at__lte=now)
            .filter(Exists(waiting_webhooks))
            .order_by("pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(post_id), int(organization_id)) for post_id, organization_id in rows]


def due_deliveries(*, now: datetime | None = None, limit: int = MAX_PER_TICK) -> list[tuple[int, int]]:
    """``(delivery_id, organization_id)`` of pending announcements whose next attempt is due, to active webhooks of
    active organisations, the longest-waiting first."""
    now = now or timezone.now()
    with scopes_disabled():
        rows = (
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                webhook__is_active=True,
                organization__is_active=True,
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "organization_id")[:limit]
        )
        return [(int(delivery_id), int(organization_id)) for delivery_id, organization_id in rows]
