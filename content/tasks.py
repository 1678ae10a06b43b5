"""Workers of the content app. Tasks are thin: they take ids, run in their organisation's scope (TenantTask) and
call a service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from advocacy.locks import cache_lock, tick_once
from advocacy.tasks import TenantTask, retry_unsent
from content import notifications
from content.feeds import feed_source_poll
from content.models import ApprovalDecision, FeedSource, LinkPreview, Post, Suggestion
from content.previews import preview_fetch
from content.ticks import due_feed_sources

# Longer than one poll can take (safe_get's 5 s deadline for the whole fetch, then one short transaction).
FEED_POLL_LOCK_SECONDS = 120
# A second beat message within this time (a restarted beat, two beats by mistake) enqueues nothing.
FEED_TICK_LOCK_SECONDS = 60


@shared_task(base=TenantTask, bind=True, name="content.poll_feed_source")
def poll_feed_source(self: TenantTask, *, organization_id: int, source_id: int) -> dict[str, Any]:
    """Poll one feed source into its organisation's inbox (the ``default`` queue: not routed elsewhere).

    Safe to run twice: a run while another polls the same source returns at once (a lock per source), and a later
    run finds the entries already in the inbox. A broken feed does not raise: its error is stored on the source.
    A source deleted or deactivated since the tick is skipped.
    """
    with cache_lock(f"org:{organization_id}:feed-poll:{source_id}", FEED_POLL_LOCK_SECONDS) as acquired:
        if not acquired:
            return {"skipped": "locked"}
        source = FeedSource.objects.filter(pk=source_id, organization_id=organization_id, active=True).first()
        if source is None:
            return {"skipped": "inactive"}
        return asdict(feed_source_poll(source=source))


@shared_task(name="content.poll_due_feeds")
def poll_due_feeds() -> int:
    """Beat tick (cross-tenant): enqueue one ``poll_feed_source`` per due source, each in its own organisation.

    Each source is polled by its own task, so a broken feed never stops the others. Returns how many were enqueued.
    """
    if not tick_once("content:feed-tick", FEED_TICK_LOCK_SECONDS):
        return 0
    due = due_feed_sources()
    for source_id, organization_id in due:
        poll_feed_source.apply_async(kwargs={"organization_id": organization_id, "source_id": source_id})
    return len(due)


@shared_task(base=TenantTask, bind=True, name="content.notify_approvers")
def notify_approvers(
    self: TenantTask, *, organization_id: int, post_id: int, revision: int, step_id: int | None = None
) -> int:
    """E-mail the approvers of the post's current step that it waits for them. Returns how many were mailed.

    Idempotent: nothing is sent when the post left this revision or step meanwhile (a later message covers the
    new state), and a (post, revision, step) is announced once.
    """
    post = Post.objects.select_related("current_step", "author", "organization").filter(pk=post_id).first()
    if post is None or post.status != Post.Status.IN_REVIEW or post.revision != revision:
        return 0
    step = post.current_step
    if step is None or (step_id is not None and step.pk != step_id):
        return 0
    batch = notifications.send_approval_requested(post=post, step=step)
    retry_unsent(self, batch)
    return batch.sent


@shared_task(base=TenantTask, bind=True, name="content.notify_author")
def notify_author(self: TenantTask, *, organization_id: int, post_id: int, decision_id: int) -> bool:
    """E-mail a post's author the outcome of one decision (approved, changes requested, rejected). Once per
    decision."""
    decision = ApprovalDecision.objects.select_related("decided_by").filter(pk=decision_id, post_id=post_id).first()
    post = Post.objects.select_related("author", "organization").filter(pk=post_id).first()
    if decision is None or post is None:
        return False
    batch = notifications.send_decision_to_author(post=post, decision=decision)
    retry_unsent(self, batch)
    return batch.sent == 1


@shared_task(base=TenantTask, bind=True, name="content.notify_suggestion_declined")
def notify_suggestion_declined(self: TenantTask, *, organization_id: int, suggestion_id: int) -> bool:
    """E-mail the member who suggested a link that it was declined, with the editor's note. Once per suggestion."""
    suggestion = (
        Suggestion.objects.select_related("suggested_by", "organization")
        .filter(pk=suggestion_id, status=Suggestion.Status.DECLINED)
        .first()
    )
    if suggestion is None:
        return False
    batch = notifications.send_suggestion_declined(suggestion=suggestion)
    retry_unsent(self, batch)
    return batch.sent == 1


# No queue attribute (deprecated in Celery 6): CELERY_TASK_DEFAULT_QUEUE is "default".
@shared_task(base=TenantTask, bind=True, name="content.fetch_link_preview")
def fetch_link_preview(self: TenantTask, *, organization_id: int, preview_id: int) -> str:
    """Fetch one link preview. Safe to run twice: a preview fetched in the last 24 hours is left as it is."""
    preview = LinkPreview.objects.filter(pk=preview_id, organization_id=organization_id).first()
    if preview is None:
        return "missing"
    return preview_fetch(preview=preview).status
