"""Wording for the screen, shared by the pages, the API's serializers and the staff admin: how a connection is doing,
what a share waits for and the one click that fixes it, why it is to post yourself or cancelled, and the buttons a
share offers. Services decide; this only says it in the member's language."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ambassadors.metrics import latest_snapshots
from ambassadors.models import API_NETWORKS, Share, ShareAttempt, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.selectors import effective_expiry, refreshable
from ambassadors.services.connections import EXPIRY_WARNING, connections_path, network_label
from ambassadors.services.shares import (
    CANCELLED_MEMBER_LEFT,
    CANCELLED_POST_WITHDRAWN,
    WAITING,
    X_API_OFF,
    X_BUDGET_REACHED,
)
from analytics.links import Outgoing, outgoing

Status = Share.Status
Action = Share.ActionRequired

# --- Connections ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionHealth:
    """How a connection is doing, in words for the member: ``state`` is connected, expiring, needs_reconnect or
    disconnected; ``days_left`` counts to the end of an access that will not renew itself (None: it renews)."""

    state: str
    days_left: int | None
    message: str
    expires_at: datetime | None = None


def reconnect_reason(code: str) -> str:
    reasons = SocialConnection.ReconnectReason
    return str((reasons(code) if code in reasons.values else reasons.TOKEN_REJECTED).label)


def connection_health(connection: SocialConnection, *, now: datetime | None = None) -> ConnectionHealth:
    now = now or timezone.now()
    status = SocialConnection.Status
    if connection.status == status.DISCONNECTED:
        return ConnectionHealth("disconnected", None, _("Disconnected"))
    if connection.status == status.NEEDS_RECONNECT:
        reason = reconnect_reason(connection.last_error_code)
        return ConnectionHealth("needs_reconnect", None, _("Needs reconnecting: %(reason)s") % {"reason": reason})
    expires = effective_expiry(connection, refreshable=refreshable(connection))
    if expires is not None and expires <= now:
        return ConnectionHealth(
            "needs_reconnect", 0, _("Needs reconnecting: %(reason)s") % {"reason": reconnect_reason("expired")}, expires
        )
    name = connection.display_name or connection.username or connection.provider_uid
    if expires is None:
        return ConnectionHealth("connected", None, _("Connected as %(name)s") % {"name": name})
    days = max(1, math.ceil((expires - now).total_seconds() / 86400))
    if expires - now <= EXPIRY_WARNING:
        message = _("Expires in %(days)d days — reconnect now") if days > 1 else _("Expires in 1 day — reconnect now")
        return ConnectionHealth("expiring", days, message % {"days": days}, expires)
    return ConnectionHealth("connected", days, _("Connected as %(name)s") % {"name": name}, expires)


@dataclass(frozen=True)
class HealthRow:
    connection_id: int
    membership_id: int
    member_name: str
    member_email: str
    provider: str
    network: str
    account: str
    health: ConnectionHealth


def health_rows(connections: QuerySet[SocialConnection]) -> list[HealthRow]:
    """The admins' health table: one row per connection of ``organization_live_connections``."""
    now = timezone.now()
    return [
        HealthRow(
            connection_id=row.pk,
            membership_id=row.membership_id,
            member_name=row.membership.user.display_name,
            member_email=row.membership.user.email,
            provider=row.provider,
            network=row.get_provider_display(),
            account=row.display_name or row.username or row.provider_uid,
            health=connection_health(row, now=now),
        )
        for row in connections
    ]


# --- Shares --------------------------------------------------------------------------------------------------------

STATUS_SENTENCES: dict[str, Promise] = {
    Status.DRAFT: gettext_lazy("Not scheduled yet."),
    Status.SCHEDULED: gettext_lazy("Scheduled: it goes out at the time shown."),
    Status.PUBLISHING: gettext_lazy("Being published right now."),
    Status.PUBLISHED: gettext_lazy("Published."),
    Status.FAILED: gettext_lazy("It could not be published."),
    Status.NEEDS_ACTION: gettext_lazy("Waiting for you."),
    Status.CANCELLED: gettext_lazy("Cancelled: it will not be published."),
    Status.MANUAL: gettext_lazy("To post yourself: copy the text, open the network, paste, then tell us."),
}

X_PAUSED = gettext_lazy("X is not taking posts from Relais at the moment, so this share goes by copy-and-open.")
NOTES: dict[str, Promise] = {
    X_API_OFF: gettext_lazy("Your organisation shares on X by copy-and-open: post it yourself, it costs nothing."),
    X_BUDGET_REACHED: gettext_lazy(
        "This month's X budget of your organisation is used up, so this share goes by copy-and-open: post it "
        "yourself, it costs nothing."
    ),
    "x_credits": X_PAUSED,
    "x_usage_cap": X_PAUSED,
    CANCELLED_POST_WITHDRAWN: gettext_lazy("Cancelled because the post was withdrawn."),
    "post_not_live": gettext_lazy("Cancelled because the post can no longer be shared."),
    CANCELLED_MEMBER_LEFT: gettext_lazy("Cancelled because you left the programme."),
}


@dataclass(frozen=True)
class ActionHint:
    """Why a share waits for its member, and the one click that fixes it."""

    message: str
    fix_url: str
    fix_label: str


def needs_action_reason(share: Share) -> ActionHint | None:
    """For a share in ``needs_action``: what happened, in the current language, and the one-click fix. Reads
    ``share.membership.organization`` (``member_shares`` joins it)."""
    if share.status != Status.NEEDS_ACTION:
        return None
    membership = share.membership
    slug = membership.organization.slug
    values = {"network": network_label(share.network)}
    detail = reverse("share_detail", args=[slug, share.pk])
    if share.action_required == Action.RECONNECT:
        return ActionHint(
            _("Your %(network)s account needs reconnecting. This share waits and goes out once you reconnect it.")
            % values,
            connections_path(membership, share.network),
            _("Reconnect %(network)s") % values,
        )
    if share.action_required == Action.CHARTER:
        return ActionHint(
            _("Accept the current charter so this share can go out."),
            reverse("charter_join", args=[slug]),
            _("Read and accept the charter"),
        )
    if share.action_required == Action.CHECK:
        return ActionHint(
            _(
                "We could not confirm whether %(network)s published this share. Check your profile, then mark it "
                "as posted or publish it again."
            )
            % values,
            detail,
            _("Check and decide"),
        )
    if share.action_required == Action.COMPLIANCE:
        reason = share.last_error_message or _("the text breaks a rule of the charter")
        return ActionHint(
            _("This share was held back: %(reason)s. Edit the text to send it.") % {"reason": reason},
            f"{detail}#edit",
            _("Edit the text"),
        )
    return ActionHint(share.last_error_message or _("This share needs your attention."), detail, _("See the share"))


def share_fix(share: Share) -> ActionHint | None:
    """What a share waiting for its member needs, and the one click that fixes it: ``needs_action_reason``, and for
    a failed share its text, to change before it is sent again (the row says the network's reason)."""
    if share.status == Status.FAILED:
        detail = reverse("share_detail", args=[share.membership.organization.slug, share.pk])
        return ActionHint(
            _("Change the text if the reason calls for it, then send it again."), f"{detail}#edit", _("Edit the text")
        )
    return needs_action_reason(share)


def share_note(share: Share) -> str:
    """Why a share is to post yourself or was cancelled, when we know ("" otherwise)."""
    if share.status not in (Status.MANUAL, Status.CANCELLED):
        return ""
    note = NOTES.get(share.last_error_code)
    return str(note) if note is not None else share.last_error_message


def is_going_out(share: Share, *, now: datetime | None = None) -> bool:
    """Scheduled for a moment already reached (a share sent "now"): the publish task has it or is about to take it,
    so it reads as being published and offers no "publish now"."""
    return (
        share.status == Status.SCHEDULED
        and share.scheduled_at is not None
        and share.scheduled_at <= (now or timezone.now())
    )


def status_label(share: Share) -> str:
    if is_going_out(share):
        return str(Status.PUBLISHING.label)
    return str(share.get_status_display())


def status_sentence(share: Share) -> str:
    status = Status.PUBLISHING if is_going_out(share) else share.status
    return str(STATUS_SENTENCES.get(status, share.get_status_display()))


def share_actions(share: Share) -> set[str]:
    """What the member can do with the share now: the buttons the pages show (the services decide again)."""
    actions: set[str] = set()
    check = share.awaits_check
    if share.status in WAITING:
        actions.add("cancel")
    if share.status == Status.DRAFT or (share.status == Status.SCHEDULED and not is_going_out(share)):
        actions.add("publish_now")
    if share.status in (Status.SCHEDULED, Status.FAILED) or (share.status == Status.NEEDS_ACTION and not check):
        actions.update({"reschedule", "edit"})
    if share.status in (Status.DRAFT, Status.MANUAL):
        actions.add("edit")
    if share.status == Status.FAILED or share.status == Status.NEEDS_ACTION:
        actions.add("retry")
    if share.status == Status.MANUAL or check:
        actions.update({"mark_posted", "copy"})
    return actions


def share_copy_and_open(share: Share, sent: Outgoing | None = None) -> str:
    """The network's share page with the text and link prefilled where it allows (provider-contracts.md §1.6, §2.6);
    "" for other networks, where the member copies the text and opens the network themselves. ``sent``: the share's
    ``outgoing`` when the caller already has it."""
    if share.network not in API_NETWORKS:
        return ""
    sent = sent or outgoing(share)
    return get_provider(share.network).intent_url(text=sent.text, link=sent.link)


@dataclass(frozen=True)
class AttemptRow:
    attempt: ShareAttempt
    outcome: str


def attempt_rows(attempts: Iterable[ShareAttempt]) -> list[AttemptRow]:
    """Each attempt of ``share_attempts`` with its outcome in words."""
    return [AttemptRow(row, str(row.get_outcome_display())) for row in attempts]


def attach_latest_metrics(shares: Sequence[Share]) -> None:
    """Set ``share.latest_metrics`` (the newest ``MetricSnapshot``, or None) on each share, in one query."""
    latest = latest_snapshots(shares=shares)
    for share in shares:
        share.latest_metrics = latest.get(share.pk)  # type: ignore[attr-defined]
