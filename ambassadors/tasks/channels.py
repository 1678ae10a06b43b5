"""Programmes' channels and colleagues' nudges: the beat tick that fans out announcements per post and delivery, the
delivery of one announcement, and the nudges after a share is published. All on the ``default`` queue."""

from __future__ import annotations

from celery import shared_task

from advocacy.locks import tick_once
from advocacy.tasks import TenantTask
from ambassadors.models import Share
from ambassadors.services.channels import delivery_send, post_announce
from ambassadors.services.nudges import share_nudge_colleagues
from ambassadors.ticks.channels import due_deliveries, posts_to_announce
from content.models import Post

# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
TICK_LOCK_SECONDS = 50


@shared_task(name="ambassadors.announce_channels")
def announce_channels() -> int:
    """Beat tick (cross-tenant): one ``announce_post`` per featured post with channels still to tell, and one
    ``deliver_announcement`` per announcement due for a retry. Returns how many tasks were enqueued."""
    if not tick_once("ambassadors:channels-tick", TICK_LOCK_SECONDS):
        return 0
    enqueued = 0
    for post_id, organization_id in posts_to_announce():
        announce_post.apply_async(kwargs={"organization_id": organization_id, "post_id": post_id})
        enqueued += 1
    for delivery_id, organization_id in due_deliveries():
        deliver_announcement.apply_async(kwargs={"organization_id": organization_id, "delivery_id": delivery_id})
        enqueued += 1
    return enqueued


@shared_task(base=TenantTask, bind=True, name="ambassadors.announce_post")
def announce_post(self: TenantTask, *, organization_id: int, post_id: int) -> int:
    """Create the post's deliveries to its channels and send each in its own task. Safe to run twice: deliveries are
    unique per (webhook, post) and each is claimed before it is sent."""
    post = Post.objects.filter(organization=organization_id, pk=post_id).select_related("organization").first()
    if post is None:
        return 0
    delivery_ids = post_announce(post=post)
    for delivery_id in delivery_ids:
        deliver_announcement.apply_async(kwargs={"organization_id": organization_id, "delivery_id": delivery_id})
    return len(delivery_ids)


@shared_task(base=TenantTask, bind=True, name="ambassadors.deliver_announcement")
def deliver_announcement(self: TenantTask, *, organization_id: int, delivery_id: int) -> str:
    """Send one announcement (``delivery_send``); a retry is left to the tick, at the delivery's next attempt."""
    return delivery_send(delivery_id=delivery_id, organization_id=organization_id)


@shared_task(base=TenantTask, bind=True, name="ambassadors.nudge_colleagues")
def nudge_colleagues(self: TenantTask, *, organization_id: int, share_id: int) -> int:
    """Tell the author's colleagues that a share is out (``share_nudge_colleagues``). Safe to run twice: each
    colleague's nudge for a post has one key."""
    share = (
        Share.objects.filter(organization=organization_id, pk=share_id)
        .select_related("organization", "membership__user", "post")
        .first()
    )
    if share is None:
        return 0
    return share_nudge_colleagues(share=share)
