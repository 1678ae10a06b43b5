"""Shares: the services that schedule, publish now, cancel, reschedule, edit, retry and confirm a member's share, and
those the receivers call when a connection, the charter or a post changes (``ambassadors.receivers``).

Services are keyword-only and atomic, run inside the organisation's scope (the caller's entry point entered it),
write an audit entry and raise ``ServiceError`` with a translated message. Whose share it is, is the views' business.
Every status change is a compare-and-set on the status the service read: a worker that claimed the share meanwhile
(scheduled → publishing) wins, and the member is told to wait. Every path that may lead to a publication runs the
gate (``ambassadors.gate``) at the moment the share would go out; the worker runs it again at publish time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from advocacy.errors import ServiceError
from advocacy.models import Membership, Organization, User
from advocacy.services import audit_log, save_or_refuse
from ambassadors.gate import share_assert_allowed
from ambassadors.models import API_NETWORKS, PublishingSettings, Share, SocialConnection
from ambassadors.notifications import Notice, notify_member, notify_members
from ambassadors.services import publishing
from ambassadors.services.composer import TextCheck, own_words_required, text_check
from ambassadors.services.connections import network_label
from ambassadors.services.nudges import nudges_enqueue
from analytics.links import link_for_share
from charter.compliance import rules_for_member, with_disclosure
from content.models import Network, Post, PostVariant
from content.selectors import posts_visible_to

Status = Share.Status
Action = Share.ActionRequired

# Why a share is manual or cancelled (``Share.last_error_code``), shown to the member in their language.
# The X codes are the publishing engine's too (``services.publishing._manual``), which falls back the same way.
X_API_OFF = "x_api_disabled"
X_BUDGET_REACHED = "x_budget"
CANCELLED_POST_WITHDRAWN = "post_withdrawn"
CANCELLED_MEMBER_LEFT = "member_left"

# Shares nothing has gone out for yet, that a member, a withdrawal or leaving the programme may still cancel.
WAITING = (Status.DRAFT, Status.SCHEDULED, Status.NEEDS_ACTION, Status.MANUAL)
# A member has at most one of these per post and network: a second would post the same news twice.
PENDING = (*WAITING, Status.PUBLISHING)
MAX_AHEAD = timedelta(days=90)
# Where a permalink of a network's post may point (mark as posted).
NETWORK_DOMAINS: dict[str, tuple[str, ...]] = {Network.LINKEDIN: ("linkedin.com",), Network.X: ("x.com", "twitter.com")}


# --- Helpers -------------------------------------------------------------------------------------------------------


def _lock_membership(membership: Membership) -> Membership:
    """The member's row, locked: one member's share writes are serialised, so the one-pending-share rule and the
    daily caps count rows no concurrent request is adding."""
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "organization")
        .get(pk=membership.pk, organization=membership.organization_id)
    )


def _live_post(membership: Membership, post: Post, now: datetime) -> Post:
    # Read again: a post withdrawn after the caller loaded it must be refused. A post the member may not see, or
    # that does not exist, gets the very same refusal as one that is no longer live: nothing tells them apart.
    fresh = posts_visible_to(membership=membership, now=now).filter(pk=post.pk).first()
    if fresh is None or not fresh.is_live_at(now):
        raise ServiceError(_("This post can no longer be shared."), code="post_not_live", field="post")
    return fresh


def _when(*, post: Post, at: datetime | None, now: datetime) -> datetime:
    """When the share goes out: ``now`` for an empty or past ``at``; refused too far ahead or after the post expires."""
    if at is None or at <= now:
        return now
    if at > now + MAX_AHEAD:
        raise ServiceError(
            _("A share can be scheduled at most %(days)d days ahead.") % {"days": MAX_AHEAD.days},
            code="too_far",
            field="at",
        )
    if post.expires_at is not None and at >= post.expires_at:
        raise ServiceError(
            _("This post expires on %(when)s: choose an earlier time.")
            % {"when": formats.date_format(timezone.localtime(post.expires_at), "DATETIME_FORMAT")},
            code="after_expiry",
            field="at",
        )
    return at


def _same_text(text: str) -> str:
    return " ".join(text.split())


def _final_text(*, membership: Membership, post: Post, network: str, text: str) -> str:
    """The text that goes out: the member's, with the network's mandatory disclosure. A post whose text ambassadors
    may not edit is shared with one of its variants only."""
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write the text to share."), code="required", field="text")
    if not post.editable_by_ambassadors:
        variants = list(PostVariant.objects.filter(organization=post.organization_id, post=post))
        offered = [v.text for v in variants if v.network == network] or [v.text for v in variants]
        matching = [offered_text for offered_text in offered if _same_text(offered_text) == _same_text(text)]
        if not matching:
            raise ServiceError(
                _("The text of this post cannot be changed: share one of the texts it offers."),
                code="not_editable",
                field="text",
            )
        text = matching[0].strip()
    rules = rules_for_member(membership=membership, post=post)
    return with_disclosure(rules=rules, network=network, text=text)


def _own_words_check(*, membership: Membership, post: Post, text: str) -> TextCheck:
    required = own_words_required(post)
    check = text_check(membership=membership, post=post, text=text, own_words_required=required)
    if check.lacks_own_words:
        raise ServiceError(
            ngettext(
                "Add a word of your own: your organisation asks for at least %(count)d word that is not in the "
                "suggested texts (you have %(own)d).",
                "Add a few words of your own: your organisation asks for at least %(count)d words that are not in "
                "the suggested texts (you have %(own)d).",
                required,
            )
            % {"count": required, "own": check.own_words},
            code="own_words_required",
            field="text",
        )
    return check


def _refuse_duplicate(*, membership: Membership, post: Post, network: str) -> None:
    others = Share.objects.filter(
        organization=membership.organization_id, membership=membership, post=post, network=network, status__in=PENDING
    )
    if others.exists():
        raise ServiceError(
            _("You already have a share of this post on %(network)s waiting: change or cancel that one instead.")
            % {"network": network_label(network)},
            code="duplicate",
            field="network",
        )


def _usable_connection(membership: Membership, network: str) -> SocialConnection:
    """The member's usable account on ``network``; refused with a pointer to the connections page otherwise."""
    connection = (
        SocialConnection.objects.filter(
            organization=membership.organization_id, membership=membership, provider=network
        )
        .exclude(status=SocialConnection.Status.DISCONNECTED)
        .first()
    )
    values = {"network": network_label(network)}
    if connection is None:
        raise ServiceError(
            _(
                "Connect your %(network)s account on the connections page first, or share by copy-and-open "
                "(other networks)."
            )
            % values,
            code="connection_required",
            field="network",
        )
    if not connection.is_usable:
        raise ServiceError(
            _("Your %(network)s account needs reconnecting: reconnect it on the connections page, in one click.")
            % values,
            code="reconnect_required",
            field="network",
        )
    return connection


def _route(*, membership: Membership, network: str, text: str, link: str) -> tuple[str, SocialConnection | None, str]:
    """(status, connection, why manual) of a new share: through the network's API, or copy-and-open."""
    if network not in API_NETWORKS:
        return Status.MANUAL, None, ""
    if network == Network.X:
        fallback = publishing.x_fallback_reason(organization=membership.organization, text=text, link=link)
        if fallback:
            return Status.MANUAL, None, fallback
    return Status.SCHEDULED, _usable_connection(membership, network), ""


def _state_error(share: Share) -> ServiceError:
    current = Share.objects.filter(pk=share.pk, organization=share.organization_id).values_list("status", flat=True)
    status = current.first()
    if status == Status.PUBLISHING:
        return ServiceError(_("This share is already being published; wait a moment."), code="publishing")
    label = dict(Status.choices).get(status or "", "")
    return ServiceError(
        _("This share can no longer do that (it is now: %(status)s).") % {"status": label}, code="invalid_state"
    )


def _move(share: Share, allowed: Q, **changes: Any) -> None:
    """Compare-and-set: apply ``changes`` only while the share is still in a state ``allowed`` matches."""
    moved = Share.objects.filter(allowed, pk=share.pk, organization=share.organization_id).update(
        updated_at=timezone.now(), **changes
    )
    if not moved:
        raise _state_error(share)
    share.refresh_from_db()


def _start_new_run(share: Share, allowed: Q, *, at: datetime) -> None:
    """Schedule ``share`` afresh at ``at``: the member starts a new run, so the engine's bounded retries count from
    zero again (the attempt log keeps every call) and what it last asked of the member is cleared."""
    connection = _usable_connection(share.membership, share.network) if share.network in API_NETWORKS else None
    _move(
        share,
        allowed,
        status=Status.SCHEDULED,
        scheduled_at=at,
        not_before=None,
        attempts=0,
        connection=connection,
        action_required=Action.NONE,
        last_error_code="",
        last_error="",
    )


def _gate(share: Share, *, text: str | None = None, at: datetime) -> None:
    share_assert_allowed(
        membership=share.membership,
        post=share.post,
        network=share.network,
        text=share.text if text is None else text,
        link=share.link,
        at=at,
        exclude_share_id=share.pk,
    )


def _audit(share: Share, by: User | None, action: str, **data: Any) -> None:
    audit_log(organization=share.organization, actor=by, action=f"share.{action}", target=share, data=data or None)


# --- Services ------------------------------------------------------------------------------------------------------


@transaction.atomic
def share_schedule(
    *,
    membership: Membership,
    post: Post,
    network: str,
    text: str,
    at: datetime | None = None,
    by: User | None,
    variant: PostVariant | None = None,
) -> Share:
    """Share ``post`` on ``network`` with ``text``: now (``at`` empty or past; the publish task is enqueued after
    commit) or at ``at`` (at most 90 days ahead, before the post expires).

    The post must be live; a post ambassadors may not edit is shared with one of its texts. The network's disclosure
    is added, then the gate runs at the time the share goes out. LinkedIn and X need the member's usable account; X
    falls back to copy-and-open (``manual``, with the reason) when the organisation's X API is off or this month's
    budget would be exceeded; other networks are always copy-and-open. One waiting share per member, post and
    network. When the organisation requires words of the member's own (``PublishingSettings.min_personal_words``), a
    text with fewer is refused before anything else happens to it; how copied the text is gets stored with the share.
    ``variant``: the suggested text the member started from (one of this post's).
    """
    now = timezone.now()
    if network not in Network.values:
        raise ServiceError(_("Choose LinkedIn, X or another network."), code="invalid", field="network")
    membership = _lock_membership(membership)
    post = _live_post(membership, post, now)
    when = _when(post=post, at=at, now=now)
    final = _final_text(membership=membership, post=post, network=network, text=text)
    check = _own_words_check(membership=membership, post=post, text=final)
    _refuse_duplicate(membership=membership, post=post, network=network)
    share_assert_allowed(membership=membership, post=post, network=network, text=final, link=post.link, at=when)
    status, connection, why_manual = _route(membership=membership, network=network, text=final, link=post.link)
    share = Share.objects.create(
        organization=membership.organization,
        membership=membership,
        post=post,
        network=network,
        connection=connection,
        text=final,
        link=post.link,
        status=status,
        scheduled_at=when,
        last_error_code=why_manual,
        variant=variant if variant is not None and variant.post_id == post.pk else None,
        similarity=round(check.similarity.score, 3),
    )
    link_for_share(share)
    _audit(share, by, "scheduled", status=status, network=network, at=when.isoformat(), manual=why_manual)
    if status == Status.SCHEDULED and when <= now:
        publishing.enqueue_publish(share)
    return share


@transaction.atomic
def share_publish_now(*, share: Share, by: User | None) -> Share:
    """A draft or scheduled share goes out now: the gate runs for now, the publish task is enqueued after commit."""
    now = timezone.now()
    _lock_membership(share.membership)
    if share.status not in (Status.DRAFT, Status.SCHEDULED):
        raise _state_error(share)
    _gate(share, at=now)
    connection = _usable_connection(share.membership, share.network) if share.network in API_NETWORKS else None
    _move(
        share,
        Q(status__in=(Status.DRAFT, Status.SCHEDULED)),
        status=Status.SCHEDULED,
        scheduled_at=now,
        connection=connection,
    )
    _audit(share, by, "published_now")
    publishing.enqueue_publish(share)
    return share


@transaction.atomic
def share_cancel(*, share: Share, by: User | None, reason: str = "") -> Share:
    """Cancel a share nothing went out for (draft, scheduled, needs action, to post yourself). A share being
    published cannot be cancelled: the member is asked to wait a moment."""
    _move(share, Q(status__in=WAITING), status=Status.CANCELLED, action_required=Action.NONE)
    _audit(share, by, "cancelled", reason=reason[:500])
    return share


RESCHEDULABLE = Q(status__in=(Status.SCHEDULED, Status.FAILED)) | (
    Q(status=Status.NEEDS_ACTION) & ~Q(action_required=Action.CHECK)
)


@transaction.atomic
def share_reschedule(*, share: Share, at: datetime, by: User | None) -> Share:
    """Move a scheduled, failed or waiting share to ``at`` (now when past). Not one whose outcome is unknown
    (``needs_action`` "check"): sending it again blindly could post it twice; ``share_retry`` reconciles it."""
    now = timezone.now()
    _lock_membership(share.membership)
    if not Share.objects.filter(RESCHEDULABLE, pk=share.pk).exists():
        raise _state_error(share)
    post = _live_post(share.membership, share.post, now)
    when = _when(post=post, at=at, now=now)
    _gate(share, at=when)
    _start_new_run(share, RESCHEDULABLE, at=when)
    _audit(share, by, "rescheduled", at=when.isoformat())
    if when <= now:
        publishing.enqueue_publish(share)
    return share


EDITABLE = Q(status__in=(Status.DRAFT, Status.SCHEDULED, Status.FAILED, Status.MANUAL)) | (
    Q(status=Status.NEEDS_ACTION) & ~Q(action_required=Action.CHECK)
)


@transaction.atomic
def share_update_text(*, share: Share, text: str, by: User | None) -> Share:
    """Change the text of a share not yet published (with the disclosure added; the gate runs again). A share held
    back by the rules (``needs_action`` "compliance") goes back to scheduled once its new text passes."""
    now = timezone.now()
    _lock_membership(share.membership)
    if not Share.objects.filter(EDITABLE, pk=share.pk).exists():
        raise _state_error(share)
    final = _final_text(membership=share.membership, post=share.post, network=share.network, text=text)
    when = max(share.scheduled_at or now, now)
    _gate(share, text=final, at=when)
    changes: dict[str, Any] = {"text": final}
    resumes = share.status == Status.NEEDS_ACTION and share.action_required == Action.COMPLIANCE
    if resumes:
        changes.update(
            status=Status.SCHEDULED, scheduled_at=when, action_required=Action.NONE, last_error_code="", last_error=""
        )
    _move(share, Q(status=share.status, action_required=share.action_required), **changes)
    _audit(share, by, "text_changed")
    if resumes and when <= now:
        publishing.enqueue_publish(share)
    return share


def _clean_external_url(network: str, url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as error:
        raise ServiceError(_("Enter the full address of your post."), code="invalid", field="url") from error
    domains = NETWORK_DOMAINS.get(network)
    host = (urlsplit(url).hostname or "").lower()
    if domains and not any(host == domain or host.endswith(f".{domain}") for domain in domains):
        raise ServiceError(
            _("This address is not on %(network)s (%(domains)s).")
            % {"network": network_label(network), "domains": ", ".join(domains)},
            code="wrong_domain",
            field="url",
        )
    return url


MARKABLE = Q(status=Status.MANUAL) | Q(status=Status.NEEDS_ACTION, action_required=Action.CHECK)


@transaction.atomic
def share_mark_posted_manually(*, share: Share, by: User | None, url: str = "") -> Share:
    """The member says they posted it themselves (copy-and-open), or found it on their profile after an unknown
    outcome: published now. ``url`` (optional) is their post's address, on the network's domain."""
    clean = _clean_external_url(share.network, url)
    _move(
        share,
        MARKABLE,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        external_url=clean,
        action_required=Action.NONE,
    )
    _audit(share, by, "marked_posted", url=clean)
    nudges_enqueue(share)
    return share


@transaction.atomic
def share_retry(*, share: Share, by: User | None) -> Share:
    """Try again: a failed share, or one waiting for the member (account reconnected, charter accepted, rules met),
    goes out now; one whose outcome is unknown is sent once more through the engine's reconciliation, which never
    posts it twice. The gate runs for now in every case."""
    now = timezone.now()
    _lock_membership(share.membership)
    share.refresh_from_db()
    if share.awaits_check:
        _gate(share, at=now)
        return publishing.share_reconcile_resend(share=share, by=by)
    retryable = Q(status=Status.FAILED) | (Q(status=Status.NEEDS_ACTION) & ~Q(action_required=Action.CHECK))
    if share.status not in (Status.FAILED, Status.NEEDS_ACTION):
        raise _state_error(share)
    _live_post(share.membership, share.post, now)
    _gate(share, at=now)
    _start_new_run(share, retryable, at=now)
    _audit(share, by, "retried")
    publishing.enqueue_publish(share)
    return share


@transaction.atomic
def publishing_settings_save(
    *, organization: Organization, by: User | None, x_api_enabled: bool, x_monthly_budget: Decimal
) -> PublishingSettings:
    """Turn X publishing through the API on or off and set the monthly X budget (USD, not negative)."""
    if x_monthly_budget < 0:
        raise ServiceError(_("The budget cannot be negative."), code="invalid", field="x_monthly_budget")
    row = PublishingSettings.objects.select_for_update().filter(organization=organization).first()
    row = row or PublishingSettings(organization=organization)
    row.x_api_enabled = x_api_enabled
    row.x_monthly_budget = x_monthly_budget
    save_or_refuse(row, refusal=ServiceError(_("These settings were changed meanwhile; try again."), code="conflict"))
    audit_log(
        organization=organization,
        actor=by,
        action="publishing.settings_changed",
        target=row,
        data={"x_api_enabled": x_api_enabled, "x_monthly_budget": str(x_monthly_budget)},
    )
    return row


# --- Reactions to connections, the charter and withdrawn posts (ambassadors.receivers) ------------------------------


def _lock_shares(rows: QuerySet[Share]) -> list[Share]:
    # Locked, so a worker's claim (scheduled → publishing) waits for this transaction and then finds nothing to take.
    return list(rows.select_for_update(of=("self",)).select_related("membership__user", "membership__organization"))


def shares_wait_for_reconnect(*, connection: SocialConnection) -> int:
    """The account can no longer publish: its scheduled shares wait for the member (``needs_action`` "reconnect"),
    neither failed nor lost. Returns how many."""
    rows = Share.objects.filter(organization=connection.organization_id, connection=connection, status=Status.SCHEDULED)
    # Locked, so a worker's claim waits for this transaction and then finds nothing to take.
    ids = list(rows.select_for_update(of=("self",)).values_list("pk", flat=True))
    return Share.objects.filter(pk__in=ids, status=Status.SCHEDULED).update(
        status=Status.NEEDS_ACTION,
        action_required=Action.RECONNECT,
        last_error_code=connection.last_error_code or connection.status,
        updated_at=timezone.now(),
    )


def shares_resume_after_reconnect(*, connection: SocialConnection) -> int:
    """The member's shares on this network that waited for a reconnection go out through ``connection``: at their
    time, or now when it has passed (enqueued after commit). Returns how many."""
    now = timezone.now()
    rows = Share.objects.filter(
        organization=connection.organization_id,
        membership=connection.membership_id,
        network=connection.provider,
        status=Status.NEEDS_ACTION,
        action_required=Action.RECONNECT,
    )
    waiting = _lock_shares(rows)
    for share in waiting:
        due = share.scheduled_at is None or share.scheduled_at <= now
        share.status = Status.SCHEDULED
        share.scheduled_at = now if due else share.scheduled_at
        share.connection = connection
        share.action_required = share.last_error_code = share.last_error = ""
        share.save(
            update_fields=[
                "status",
                "scheduled_at",
                "connection",
                "action_required",
                "last_error_code",
                "last_error",
                "updated_at",
            ]
        )
        if due:
            publishing.enqueue_publish(share)
    return len(waiting)


def _cancel_rows(rows: QuerySet[Share], code: str) -> list[Share]:
    cancelled = _lock_shares(rows.filter(status__in=WAITING))
    Share.objects.filter(pk__in=[share.pk for share in cancelled], status__in=WAITING).update(
        status=Status.CANCELLED, action_required=Action.NONE, last_error_code=code, updated_at=timezone.now()
    )
    return cancelled


def _shares_url(membership: Membership, status: str = "") -> str:
    path = reverse("shares", args=[membership.organization.slug])
    return f"{path}?status={status}" if status else path


def shares_cancel_for_member_left(*, membership: Membership, by: User | None) -> int:
    """The member left the programme: every share of theirs nothing went out for is cancelled, and they are told
    in the app. Returns how many."""
    rows = Share.objects.filter(organization=membership.organization_id, membership=membership)
    cancelled = _cancel_rows(rows, CANCELLED_MEMBER_LEFT)
    if cancelled:
        audit_log(
            organization=membership.organization,
            actor=by,
            action="share.cancelled_member_left",
            target=membership,
            data={"shares": [share.pk for share in cancelled]},
        )
        notify_member(
            membership=cancelled[0].membership,
            kind="shares_cancelled",
            message=gettext_lazy(
                "You left the programme, so your waiting shares were cancelled (%(count)d). Nothing more will be "
                "published for you."
            ),
            params={"count": len(cancelled)},
            url=_shares_url(membership, Status.CANCELLED),
        )
    return len(cancelled)


def shares_cancel_for_post_withdrawn(*, post: Post, by: User | None) -> int:
    """The post was withdrawn: its waiting shares are cancelled (each author told, in the app and by e-mail), and each
    member who already published it is asked to delete their post from the network. Returns how many were
    cancelled. The notifications are written in one insert and e-mailed by one task after commit, so a post shared by
    thousands does not hold the editor's transaction for one write and one message per member."""
    rows = Share.objects.filter(organization=post.organization_id, post=post)
    cancelled = _cancel_rows(rows, CANCELLED_POST_WITHDRAWN)
    by_member: dict[int, list[Share]] = {}
    for share in cancelled:
        by_member.setdefault(share.membership_id, []).append(share)
    notices = [
        Notice(
            membership=shares[0].membership,
            kind="share_cancelled",
            message=gettext_lazy(
                "“%(title)s” was withdrawn by your organisation, so your share of it on %(networks)s was cancelled: "
                "it will not be published."
            ),
            params={"title": post.title, "networks": ", ".join(network_label(s.network) for s in shares)},
            url=_shares_url(shares[0].membership, Status.CANCELLED),
            email_subject=gettext_lazy("Your share of “%(title)s” was cancelled"),
        )
        for shares in by_member.values()
    ]
    published = Share.objects.filter(organization=post.organization_id, post=post, status=Status.PUBLISHED)
    notices += [
        _delete_request(share, post)
        for share in published.select_related("membership__user", "membership__organization")
    ]
    notify_members(notices=notices)
    if cancelled:
        audit_log(
            organization=post.organization,
            actor=by,
            action="share.cancelled_post_withdrawn",
            target=post,
            data={"shares": [share.pk for share in cancelled]},
        )
    return len(cancelled)


def _delete_request(share: Share, post: Post) -> Notice:
    detail = reverse("share_detail", args=[share.membership.organization.slug, share.pk])
    return Notice(
        membership=share.membership,
        kind="share_delete_requested",
        message=gettext_lazy(
            "“%(title)s” was withdrawn by your organisation. Please delete your post of it on %(network)s: %(url)s"
        ),
        params={
            "title": post.title,
            "network": network_label(share.network),
            "url": share.external_url or pgettext_lazy("where a post is", "see your shares page"),
        },
        url=share.external_url or detail,
        email_subject=gettext_lazy("Please delete your post of “%(title)s”"),
    )
