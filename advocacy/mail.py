"""Every e-mail Relais sends goes out once per message key, through ``email_send_once``.

Tasks are acknowledged late, so a message can be delivered twice (a worker killed, a redelivery, two workers); a
cache entry as guard is forgotten by an eviction or a restart. The guard is a ``SentEmail`` row per key, unique in
its organisation:

- the key is claimed before sending (the row's insert, or a compare-and-set on a free or stale claim) and marked
  sent after; a key marked sent is never sent again;
- a send that raises (the SMTP server refused or was unreachable) releases its claim, so the task's retry sends it;
- a claim left by a worker that died between claim and mark is taken over once older than
  ``RELAIS_EMAIL_CLAIM_SECONDS`` (longer than one SMTP exchange, ``EMAIL_TIMEOUT``), and the message is sent then:
  should the server have accepted it just before the crash, the member gets it twice, which is better than an
  invitation or a warning never sent. A younger claim raises ``EmailInFlight`` and the task tries again later.

``email_send_each`` sends a batch: each message on its own, one failure never stops the others, and the ids of those
that failed come back so that the batch task retries those alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail
from django.utils import timezone

from advocacy.models import Organization, SentEmail

logger = logging.getLogger("relais.mail")


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    to: str
    # Extra headers, e.g. List-Unsubscribe (RFC 8058) on the e-mails a member can turn off.
    headers: Mapping[str, str] = field(default_factory=dict)
    # An HTML version beside the text (multipart/alternative), for e-mails with tables of figures.
    html: str = ""


class EmailInFlight(Exception):
    """Another worker claimed this message less than ``RELAIS_EMAIL_CLAIM_SECONDS`` ago: it may be sending it."""

    def __init__(self, key: str, retry_in: float) -> None:
        super().__init__(f"{key} is being sent by another worker; try again in {retry_in:.0f}s")
        self.retry_in = retry_in


class EmailsNotSent(Exception):
    """Some messages of a batch could not be sent; the batch task retries them."""


def claim_window() -> timedelta:
    return timedelta(seconds=settings.RELAIS_EMAIL_CLAIM_SECONDS)


def _claim(organization: Organization, key: str) -> tuple[SentEmail, bool]:
    """Claim ``key``: (its row, True) when this call may send it, (row, False) when it was sent already."""
    now = timezone.now()
    row, created = SentEmail.objects.get_or_create(organization=organization, key=key, defaults={"claimed_at": now})
    if created:
        return row, True
    if row.sent_at is not None:
        return row, False
    stale_before = now - claim_window()
    if row.claimed_at is not None and row.claimed_at > stale_before:
        raise EmailInFlight(key, retry_in=(row.claimed_at - stale_before).total_seconds())
    taken = SentEmail.objects.filter(pk=row.pk, sent_at__isnull=True, claimed_at=row.claimed_at).update(claimed_at=now)
    if not taken:  # another worker took it over a moment ago
        raise EmailInFlight(key, retry_in=claim_window().total_seconds())
    row.claimed_at = now
    return row, True


def email_send_once(*, organization: Organization, key: str, compose: Callable[[], Email]) -> bool:
    """Send the message ``compose`` builds unless ``key`` was sent already. True when sent by this call.

    ``compose`` runs after the claim, so work it does (rendering, a token issued for the message) happens once per
    send. Raises ``EmailInFlight`` while another worker holds a fresh claim, and whatever the send raised (the claim
    released). Call it outside a transaction that could roll back after the send (a task, not a service).
    """
    row, mine = _claim(organization, key)
    if not mine:
        return False
    try:
        email = compose()
        if email.html:
            message = EmailMultiAlternatives(email.subject, email.body, None, [email.to], headers=dict(email.headers))
            message.attach_alternative(email.html, "text/html")
            message.send()
        elif email.headers:
            EmailMessage(email.subject, email.body, None, [email.to], headers=dict(email.headers)).send()
        else:
            send_mail(email.subject, email.body, None, [email.to])
    except Exception:
        SentEmail.objects.filter(pk=row.pk, claimed_at=row.claimed_at).update(claimed_at=None)
        raise
    SentEmail.objects.filter(pk=row.pk).update(sent_at=timezone.now())
    return True


@dataclass(frozen=True)
class Message:
    """One message of a batch: the id the batch task was given for it, its send-once key, and how to build it."""

    ref: int
    key: str
    compose: Callable[[], Email]


@dataclass
class EmailBatch:
    sent: int = 0
    skipped: int = 0
    failed: list[int] = field(default_factory=list)
    # The shortest wait asked by a message another worker is sending (seconds), if any.
    retry_in: float | None = None


def email_send_each(*, organization: Organization, messages: Iterable[Message]) -> EmailBatch:
    """Send each message once (``email_send_once``); one that fails is logged and its ``ref`` listed in ``failed``,
    and the next one is sent all the same."""
    batch = EmailBatch()
    for message in messages:
        try:
            if email_send_once(organization=organization, key=message.key, compose=message.compose):
                batch.sent += 1
            else:
                batch.skipped += 1
        except EmailInFlight as busy:
            batch.failed.append(message.ref)
            batch.retry_in = busy.retry_in if batch.retry_in is None else min(batch.retry_in, busy.retry_in)
        except Exception as error:
            # The address is not logged: the key names the message.
            logger.warning("e-mail %s not sent: %s", message.key, type(error).__name__)
            batch.failed.append(message.ref)
    return batch
