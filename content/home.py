"""The content team's panels on the organisation home (advocacy.home): the posts waiting for the member's decision,
and an editor's drafts, the drafts sent back to them and what goes live next."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from advocacy.home import Panel
from advocacy.models import Membership
from content import selectors

# A few of each, enough to act on from the home; the full lists are one link away.
SHOWN = 5


def approvals_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    """Approvers, and anyone a policy names while posts wait for them (the navigation shows them the page too)."""
    waiting = selectors.approvals_waiting_for_request(request, membership)
    if not waiting and not membership.has_perm("content.approve"):
        return None
    # The rows show a title, its author and its step: the inbox's prefetches (topics, variants) are not needed.
    posts = (
        list(
            selectors.approval_inbox(membership=membership)
            .prefetch_related(None)
            .select_related("author", "current_step")[:SHOWN]
        )
        if waiting
        else []
    )
    return Panel("content/home_approvals.html", {"posts": posts, "waiting": waiting}, wide=True)


def editor_panel(request: HttpRequest, membership: Membership) -> Panel | None:
    if not membership.has_perm("content.edit"):
        return None
    slug = membership.organization.slug
    return Panel(
        "content/home_editor.html",
        {
            "sent_back": list(selectors.author_drafts(membership=membership, sent_back=True)[:SHOWN]),
            "drafts": list(selectors.author_drafts(membership=membership, sent_back=False)[:SHOWN]),
            "scheduled": list(selectors.scheduled_posts(organization=membership.organization)[:SHOWN]),
            "drafts_url": reverse("content_library", kwargs={"org": slug})
            + f"?status=draft&author={membership.user_id}",
        },
        wide=True,
    )
