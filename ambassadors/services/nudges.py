"""Nudges between colleagues: when a member's share is out, their colleagues of the same programmes hear of it (a
reaction or a comment in the first hour helps the post most); and when a share's metrics show new comments, its
author hears of it, to answer while the conversation is warm.

Both are in-app notifications with a ``dedupe_key`` (unique per member), written in one insert that ignores the ones
already there: nobody is nudged twice for one post, nor told twice of the same count of comments.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from advocacy.models import Membership, ProgrammeMember
from ambassadors.models import AmbassadorProfile, MetricSnapshot, Notification, Share
from content.models import Network, PostProgramme
from content.selectors import members_sharing_in

NUDGE_KIND = "nudge"
COMMENTS_KIND = "comments"

NUDGE_MESSAGE = _(
    "%(name)s just shared “%(title)s” on %(network)s: a reaction or a comment in the first hour helps it reach further."
)
NUDGE_MESSAGE_ELSEWHERE = _(
    "%(name)s just shared “%(title)s”: a reaction or a comment in the first hour helps it reach further."
)


def nudges_enqueue(share: Share) -> None:
    """After the transaction that published ``share`` commits, tell its author's colleagues
    (``ambassadors.tasks.channels.nudge_colleagues``); a rolled-back publication tells nobody."""
    from ambassadors.tasks.channels import nudge_colleagues

    transaction.on_commit(
        partial(nudge_colleagues.apply_async, kwargs={"organization_id": share.organization_id, "share_id": share.pk})
    )


def nudge_recipients(*, share: Share) -> list[Membership]:
    """The author's colleagues to nudge: active members of the author's programmes (of those the post targets, when
    it targets some) the post is meant for (its languages, ``content.selectors.members_sharing_in``),
    other than the author, who have not turned nudges off (a member without a profile has them on)."""
    organization_id = share.organization_id
    author = share.membership
    programmes = ProgrammeMember.objects.filter(organization=organization_id, membership=author).values_list(
        "programme_id", flat=True
    )
    post_programmes = PostProgramme.objects.filter(organization=organization_id, post=share.post_id)
    if post_programmes.exists():
        programmes = programmes.filter(programme_id__in=post_programmes.values("programme_id"))
    colleagues = (
        Membership.objects.filter(
            organization=organization_id,
            status=Membership.Status.ACTIVE,
            pk__in=ProgrammeMember.objects.filter(organization=organization_id, programme_id__in=programmes).values(
                "membership_id"
            ),
        )
        .exclude(pk=author.pk)
        .exclude(
            pk__in=AmbassadorProfile.objects.filter(organization=organization_id, nudges=False).values("membership_id")
        )
        .select_related("user", "organization")
        .order_by("pk")
    )
    return list(colleagues.filter(members_sharing_in(share.post.languages or [])))


def share_nudge_colleagues(*, share: Share) -> int:
    """Nudge the author's colleagues (``nudge_recipients``) about a published share with its address on the network,
    while the post is live. One nudge per colleague and post, whoever shares it next. Returns how many colleagues
    were asked (those already nudged for the post included)."""
    post = share.post
    if share.status != Share.Status.PUBLISHED or not share.external_url or not post.is_live_at(timezone.now()):
        return 0
    recipients = nudge_recipients(share=share)
    message = NUDGE_MESSAGE if share.network != Network.GENERIC else NUDGE_MESSAGE_ELSEWHERE
    rows = []
    for membership in recipients:
        with translation.override(membership.reading_language()):
            text = str(message) % {
                "name": share.membership.user.display_name,
                "title": post.title,
                "network": Network(share.network).label,
            }
        rows.append(
            Notification(
                organization_id=share.organization_id,
                membership=membership,
                kind=NUDGE_KIND,
                message=text,
                url=share.external_url,
                post=post,
                dedupe_key=f"nudge:{post.pk}",
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def comments_alert(*, snapshots: Sequence[MetricSnapshot]) -> int:
    """Tell the authors of shares whose new snapshot counts more comments than their previous one (none before the
    first). Called by the metrics writer with the snapshots it stored; a replayed poll finds the same counts and
    adds nothing. Returns how many alerts were written (repeats included)."""
    counted = [snapshot for snapshot in snapshots if snapshot.comments]
    if not counted:
        return 0
    organization_id = counted[0].organization_id
    previous: dict[int, tuple[int, int]] = {}
    earlier = MetricSnapshot.objects.filter(
        organization=organization_id,
        share__in=[snapshot.share_id for snapshot in counted],
        comments__isnull=False,
    ).values_list("share_id", "slot", "comments")
    slots = {snapshot.share_id: snapshot.slot for snapshot in counted}
    for share_id, slot, comments in earlier:
        if slot < slots[share_id] and slot > previous.get(share_id, (0, 0))[0]:
            previous[share_id] = (slot, comments or 0)
    news = [snapshot for snapshot in counted if (snapshot.comments or 0) > previous.get(snapshot.share_id, (0, 0))[1]]
    if not news:
        return 0
    # The shares with their author and post, in one query.
    shares = {
        share.pk: share
        for share in Share.objects.filter(
            organization=organization_id, pk__in=[snapshot.share_id for snapshot in news]
        ).select_related("membership__user", "membership__organization", "post")
    }
    rows = []
    for snapshot in news:
        share = shares[snapshot.share_id]
        total = snapshot.comments or 0
        added = total - previous.get(share.pk, (0, 0))[1]
        with translation.override(share.membership.reading_language()):
            text = ngettext(
                "%(count)d new comment on your post “%(title)s”: answering quickly keeps the conversation going.",
                "%(count)d new comments on your post “%(title)s”: answering quickly keeps the conversation going.",
                added,
            ) % {"count": added, "title": share.post.title}
        rows.append(
            Notification(
                organization_id=organization_id,
                membership=share.membership,
                kind=COMMENTS_KIND,
                message=text,
                url=share.external_url,
                post=share.post,
                dedupe_key=f"comments:{share.pk}:{total}",
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
