"""Telling an ambassador something: an in-app notification (shown on their home and connections pages) and, for
what needs them, an e-mail in their language sent by a worker after commit.

Messages are built by the caller as lazy translations with ``%(name)s`` placeholders, so each is rendered in the
recipient's language, not the language of whoever (or whichever worker) caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from advocacy.models import Membership
from ambassadors.models import Notification


def absolute_url(path: str) -> str:
    return settings.RELAIS_SITE_URL.rstrip("/") + path if path.startswith("/") else path


@dataclass(frozen=True)
class Notice:
    """What to tell one member: ``message`` (and ``email_subject``, when it is e-mailed too) are lazy translations
    with ``%(name)s`` placeholders filled from ``params`` in the member's language."""

    membership: Membership
    kind: str
    message: Promise | str
    url: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    email_subject: Promise | str | None = None


def notify_members(*, notices: Sequence[Notice]) -> list[Notification]:
    """Record the in-app notifications of one organisation's members in one insert, and e-mail those with a subject
    from one task for them all (``send_notification_emails``, enqueued after the transaction commits, so a
    rolled-back action tells nobody; each e-mail sent once, one failure retried without holding up the others)."""
    if not notices:
        return []
    organization = notices[0].membership.organization
    rows = []
    for notice in notices:
        if notice.membership.organization_id != organization.pk:
            raise ValueError("One batch of notices belongs to one organisation.")
        with translation.override(notice.membership.user.language or organization.language):
            text = str(notice.message) % notice.params
            subject = str(notice.email_subject) % notice.params if notice.email_subject is not None else ""
        rows.append(
            Notification(
                organization=organization,
                membership=notice.membership,
                kind=notice.kind,
                message=text,
                url=notice.url,
                email_subject=subject,
            )
        )
    created = Notification.objects.bulk_create(rows)
    to_mail = [notification.pk for notification in created if notification.email_subject]
    if to_mail:
        from ambassadors.tasks.notifications import send_notification_emails

        transaction.on_commit(
            partial(
                send_notification_emails.apply_async,
                kwargs={"organization_id": organization.pk, "notification_ids": to_mail},
            )
        )
    return created


def notify_member(
    *,
    membership: Membership,
    kind: str,
    message: Promise | str,
    url: str = "",
    params: dict[str, Any] | None = None,
    email_subject: Promise | str | None = None,
) -> Notification:
    """Tell one member (``notify_members`` with one notice): in the app and, when ``email_subject`` is given, by
    e-mail."""
    notice = Notice(
        membership=membership,
        kind=kind,
        message=message,
        url=url,
        params=params or {},
        email_subject=email_subject,
    )
    return notify_members(notices=[notice])[0]
