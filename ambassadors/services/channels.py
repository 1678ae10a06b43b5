"""Programmes' Slack and Microsoft Teams channels: their incoming webhooks (added, paused, removed, tested by the
organisation's admins and the programme's own), and the announcement of featured posts there.

A webhook URL is a secret (whoever has it can post to the channel): it is sealed at rest, never written to the audit
log or shown again, and it may only point at the vendors' webhook hosts (``RELAIS_CHANNEL_WEBHOOK_PREFIXES``). It is
posted to through ``content.safe_http``, which checks every address it resolves to.

Each (webhook, post) pair is announced at most once (``WebhookDelivery`` is unique on it): a delivery is claimed by a
compare-and-set before it is sent, retried with backoff on the vendor's rate limits and outages, and given up after
``MAX_ATTEMPTS`` or at once when the vendor says the webhook no longer exists.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from advocacy.errors import ServiceError
from advocacy.models import Organization, Programme, User
from advocacy.services import audit_log
from ambassadors.crypto import TokenDecryptionError
from ambassadors.models import ProgrammeWebhook, WebhookDelivery
from ambassadors.notifications import absolute_url
from content.models import Post, PostProgramme
from content.safe_http import FetchError, SafeResponse, UnsafeURL, safe_post_json

Kind = ProgrammeWebhook.Kind
Status = WebhookDelivery.Status

# Waits before the retries of a delivery (after attempts 1 to 5); the 6th failure gives up.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(minutes=120),
    timedelta(minutes=360),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A vendor's Retry-After is honoured up to this long.
MAX_RETRY_AFTER = timedelta(hours=6)
# A claimed delivery is not claimed again for this long: longer than one send may take, so two workers never send the
# same announcement at once; a worker lost mid-send leaves it to be retried once the claim lapses.
CLAIM_LEASE = timedelta(minutes=5)
SEND_TIMEOUT_SECONDS = 8.0
# Posts that went live longer ago than this are not announced: enabling a webhook must not flood a channel.
ANNOUNCE_WINDOW = timedelta(hours=24)
NOTE_MAX_CHARS = 1500
# 4xx answers that are worth trying again: a timeout on the vendor side, a conflict, a rate limit.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})

URL_MESSAGES = {
    Kind.SLACK: gettext_lazy(
        "Paste the address of a Slack incoming webhook or workflow: it starts with https://hooks.slack.com/services/ "
        "(or /workflows/, /triggers/)."
    ),
    Kind.TEAMS: gettext_lazy(
        "Paste the address of a Microsoft Teams incoming webhook (https://….webhook.office.com/webhookb2/…) or of a "
        "Power Automate workflow (https://….logic.azure.com/workflows/… or https://….environment.api.powerplatform."
        "com/…)."
    ),
}


# --- Addresses -----------------------------------------------------------------------------------------------------


def _prefix_pattern(prefix: str) -> tuple[str, re.Pattern[str], int, str]:
    parts = urlsplit(prefix)
    host = (parts.hostname or "").lower()
    host_pattern = re.escape(host).replace(r"\*\.", r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, re.compile(rf"\A{host_pattern}\Z"), port, parts.path


def webhook_url_matches(kind: str, url: str) -> bool:
    """Whether ``url`` is a webhook address of ``kind``'s vendor: the scheme, host and path of one of its prefixes, no
    user name or password, and no port other than the scheme's own."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None:
        return False
    for prefix in settings.RELAIS_CHANNEL_WEBHOOK_PREFIXES.get(kind, []):
        scheme, host_pattern, prefix_port, path = _prefix_pattern(prefix)
        if (
            parts.scheme == scheme
            and host_pattern.match(host)
            and (port or prefix_port) == prefix_port
            and parts.path.startswith(path)
            and len(parts.path) > len(path)
        ):
            return True
    return False


def validate_webhook_url(kind: str, url: str) -> None:
    """Raise ``ValidationError`` (in the current language) unless ``url`` is a webhook address of ``kind``."""
    if kind not in Kind.values:
        raise ValidationError(_("Choose Slack or Microsoft Teams."), code="kind")
    if not webhook_url_matches(kind, url):
        raise ValidationError(str(URL_MESSAGES[Kind(kind)]), code="url")


# --- The admins' actions -------------------------------------------------------------------------------------------


@transaction.atomic
def webhook_create(*, programme: Programme, kind: str, url: str, by: User | None) -> ProgrammeWebhook:
    """Add a channel to ``programme``: new featured posts are announced there from now on (not older ones)."""
    url = url.strip()
    try:
        validate_webhook_url(kind, url)
    except ValidationError as error:
        raise ServiceError(error.messages[0], code="invalid", field="url") from error
    webhook = ProgrammeWebhook(
        organization=programme.organization,
        programme=programme,
        kind=kind,
        url_hint=(urlsplit(url).hostname or "")[:120],
        created_by=by if by is not None and by.pk else None,
    )
    webhook.set_url(url)
    webhook.save()
    _audit(webhook, by, "added")
    return webhook


@transaction.atomic
def webhook_set_active(*, webhook: ProgrammeWebhook, active: bool, by: User | None) -> ProgrammeWebhook:
    """Pause or resume a channel. While paused nothing is sent to it; announcements waiting go out once resumed."""
    ProgrammeWebhook.objects.filter(organization=webhook.organization_id, pk=webhook.pk).update(is_active=active)
    webhook.is_active = active
    _audit(webhook, by, "resumed" if active else "paused")
    return webhook


@transaction.atomic
def webhook_delete(*, webhook: ProgrammeWebhook, by: User | None) -> None:
    _audit(webhook, by, "deleted")
    ProgrammeWebhook.objects.filter(organization=webhook.organization_id, pk=webhook.pk).delete()


def webhook_send_test(*, webhook: ProgrammeWebhook, by: User | None) -> None:
    """Send a test message now, in the organisation's language; a failure is recorded on the webhook (as a delivery's
    would be) and raised as a ``ServiceError`` saying why."""
    with translation.override(webhook.organization.language):
        message = Announcement(
            heading=_("Relais is connected to this channel"),
            title=_("Test message"),
            note=_("New featured posts of the programme “%(programme)s” will be announced here.")
            % {"programme": webhook.programme.name},
            url=absolute_url(reverse("feed", args=[webhook.organization.slug])),
            button=_("Open the feed"),
        )
    result = _send(webhook, message)
    _record_on_webhook(webhook, result)
    _audit(webhook, by, "tested", outcome="sent" if result.ok else result.error)
    if not result.ok:
        raise ServiceError(
            _("The test message was not delivered: %(reason)s") % {"reason": webhook_error_text(result.error)},
            code="not_delivered",
        )


def _audit(webhook: ProgrammeWebhook, by: User | None, verb: str, **data: Any) -> None:
    # The host only: the URL itself is a secret.
    audit_log(
        organization=webhook.organization,
        actor=by,
        action=f"programme.channel_{verb}",
        target=webhook,
        data={"programme": webhook.programme_id, "kind": webhook.kind, "host": webhook.url_hint, **data},
    )


# --- Announcing ----------------------------------------------------------------------------------------------------


def targeted_webhooks(post: Post) -> QuerySet[ProgrammeWebhook]:
    """The active webhooks of the programmes ``post`` targets (a post without programmes targets every one)."""
    webhooks = ProgrammeWebhook.objects.filter(organization=post.organization_id, is_active=True)
    links = PostProgramme.objects.filter(organization=post.organization_id, post=post)
    if links.exists():
        webhooks = webhooks.filter(programme_id__in=links.values("programme_id"))
    return webhooks


def post_announce(*, post: Post, now: datetime | None = None) -> list[int]:
    """Create the deliveries of a featured live post to the channels it targets that have none yet, and return the
    ids of its deliveries ready to send. Safe to run twice: the unique (webhook, post) makes a second row a no-op."""
    now = now or timezone.now()
    if not (post.featured and post.is_live_at(now)):
        return []
    missing = targeted_webhooks(post).exclude(Exists(WebhookDelivery.objects.filter(webhook=OuterRef("pk"), post=post)))
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(organization_id=post.organization_id, webhook_id=webhook_id, post=post, next_attempt_at=now)
            for webhook_id in missing.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            organization=post.organization_id, post=post, status=Status.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class SendResult:
    ok: bool
    # What went wrong, as a code ``webhook_error_text`` words: "http:404:no_service", "timeout", "post_gone"…
    error: str = ""
    retryable: bool = False
    retry_after: timedelta | None = None


def delivery_send(*, delivery_id: int, organization_id: int, now: datetime | None = None) -> str:
    """Send one announcement, if it is still pending and due; returns what became of it (``sent``, ``retry``,
    ``failed``, or ``skipped`` when another run has it or it is done).

    The claim is a compare-and-set that also pushes ``next_attempt_at`` past the send, so a second run (the task
    delivered twice, the tick enqueueing it again) finds nothing to do."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        organization=organization_id,
        pk=delivery_id,
        status=Status.PENDING,
        next_attempt_at__lte=now,
        webhook__is_active=True,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related(
        "webhook__organization", "webhook__programme", "post__organization"
    ).get(organization=organization_id, pk=delivery_id)
    if delivery.post.is_live_at(now):
        result = _send(delivery.webhook, post_announcement(delivery.post))
    else:
        result = SendResult(ok=False, error="post_gone")
    outcome = _close_delivery(delivery, result, now=timezone.now())
    _record_on_webhook(delivery.webhook, result)
    return outcome


def _close_delivery(delivery: WebhookDelivery, result: SendResult, *, now: datetime) -> str:
    still_mine = WebhookDelivery.objects.filter(
        organization=delivery.organization_id, pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts
    )
    if result.ok:
        still_mine.update(status=Status.SENT, sent_at=now, next_attempt_at=None, last_error="")
        return "sent"
    if result.retryable and delivery.attempts < MAX_ATTEMPTS:
        wait = RETRY_DELAYS[delivery.attempts - 1]
        if result.retry_after is not None:
            wait = max(wait, min(result.retry_after, MAX_RETRY_AFTER))
        still_mine.update(next_attempt_at=now + wait, last_error=result.error[:300])
        return "retry"
    still_mine.update(status=Status.FAILED, next_attempt_at=None, last_error=result.error[:300])
    return "failed"


def _record_on_webhook(webhook: ProgrammeWebhook, result: SendResult) -> None:
    """What the admins' page shows: the last delivery, and the last failure with its reason."""
    now = timezone.now()
    rows = ProgrammeWebhook.objects.filter(organization=webhook.organization_id, pk=webhook.pk)
    if result.ok:
        rows.update(last_delivered_at=now)
        webhook.last_delivered_at = now
    else:
        rows.update(last_failed_at=now, last_error=result.error[:300])
        webhook.last_failed_at, webhook.last_error = now, result.error[:300]


def _send(webhook: ProgrammeWebhook, message: Announcement) -> SendResult:
    try:
        url = webhook.url()
    except TokenDecryptionError:
        # Sealed under a key no longer configured: only a new address fixes it.
        return SendResult(ok=False, error="sealed")
    if not webhook_url_matches(webhook.kind, url):
        # Written before the allowed hosts changed: refused rather than sent somewhere no longer trusted.
        return SendResult(ok=False, error="address")
    body = slack_payload(message) if webhook.kind == Kind.SLACK else teams_payload(message)
    try:
        response = safe_post_json(url, body=json.dumps(body).encode(), timeout=SEND_TIMEOUT_SECONDS)
    except UnsafeURL:
        return SendResult(ok=False, error="address")
    except FetchError as error:
        return SendResult(ok=False, error=error.code, retryable=True)
    return _answer(response)


def _answer(response: SafeResponse) -> SendResult:
    if 200 <= response.status < 300:
        return SendResult(ok=True)
    # Slack answers a short reason in plain text ("no_service", "channel_is_archived"): kept for the admins.
    detail = response.body[:80].decode("utf-8", "replace").strip()
    error = f"http:{response.status}" + (f":{detail}" if re.fullmatch(r"[a-z_]+", detail) else "")
    retryable = response.status >= 500 or response.status in RETRYABLE_4XX
    return SendResult(ok=False, error=error, retryable=retryable, retry_after=_retry_after(response))


def _retry_after(response: SafeResponse) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        return max(parsedate_to_datetime(value) - timezone.now(), timedelta(0))
    except (TypeError, ValueError):
        return None


ERROR_TEXTS = {
    "timeout": gettext_lazy("The service took too long to answer."),
    "connection": gettext_lazy("The service could not be reached."),
    "dns": gettext_lazy("The service's name could not be found."),
    "tls": gettext_lazy("The service's security certificate could not be verified."),
    "address": gettext_lazy("The address is not an allowed webhook address."),
    "post_gone": gettext_lazy("The post was no longer live."),
    "sealed": gettext_lazy("The stored address can no longer be read: remove the channel and add it again."),
}


def webhook_error_text(error: str) -> str:
    """A stored failure code in the reader's language."""
    if error.startswith("http:"):
        _http, status, *detail = error.split(":", 2)
        if status in ("404", "410"):
            text = _("The service answered %(status)s: the webhook was deleted or its channel archived.")
        elif status in ("401", "403"):
            text = _("The service answered %(status)s: the webhook is no longer allowed to post.")
        else:
            text = _("The service answered %(status)s.")
        return text % {"status": status} + (f" ({detail[0]})" if detail else "")
    return str(ERROR_TEXTS.get(error, _("The message could not be delivered.")))


# --- Messages ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    heading: str
    title: str
    note: str
    url: str
    button: str


def post_announcement(post: Post) -> Announcement:
    """A post's announcement, in its organisation's language, with a button to the composer."""
    note = post.note if len(post.note) <= NOTE_MAX_CHARS else post.note[: NOTE_MAX_CHARS - 1] + "…"
    with translation.override(post.organization.language):
        return Announcement(
            heading=_("New featured post to share"),
            title=post.title,
            note=note,
            url=absolute_url(reverse("composer", args=[post.organization.slug, post.pk])),
            button=_("Share it"),
        )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Announcement) -> dict[str, Any]:
    """Block Kit, with ``text`` as the notification's fallback."""
    section = f"*{_slack_escape(message.title)}*" + (f"\n{_slack_escape(message.note)}" if message.note else "")
    return {
        "text": f"{message.heading}: {message.title}",
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(message.heading)}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": message.button},
                        "url": message.url,
                    }
                ],
            },
        ],
    }


def teams_payload(message: Announcement) -> dict[str, Any]:
    """An Adaptive Card in a message: what both Teams incoming webhooks and Power Automate workflows accept."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.heading, "size": "Small", "isSubtle": True, "wrap": True},
        {"type": "TextBlock", "text": message.title, "size": "Medium", "weight": "Bolder", "wrap": True},
    ]
    if message.note:
        body.append({"type": "TextBlock", "text": message.note, "wrap": True})
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [{"type": "Action.OpenUrl", "title": message.button, "url": message.url}],
                },
            }
        ],
    }


# --- Selectors -----------------------------------------------------------------------------------------------------


def programme_webhooks(*, programme: Programme) -> QuerySet[ProgrammeWebhook]:
    return ProgrammeWebhook.objects.filter(organization=programme.organization_id, programme=programme).order_by(
        "created_at", "pk"
    )


def organization_webhook(*, organization: Organization, pk: int) -> ProgrammeWebhook | None:
    # The programme and organisation are read with it: the access check, the audit entry and the test message name
    # them.
    return (
        ProgrammeWebhook.objects.filter(organization=organization, pk=pk)
        .select_related("organization", "programme__organization")
        .first()
    )
