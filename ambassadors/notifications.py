"""Telling an ambassador something: an in-app notification (shown on their home and connections pages) and, for
what needs them, an e-mail in their language sent by a worker after commit.

Messages are built by the caller as lazy translations with ``%(name)s`` placeholders, so each is rendered in the
recipient's language, not the language of whoever (or whichever worker) caused it.
"""

from __future__ import annotations

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


def notify_member(
    *,
    membership: Membership,
    kind: str,
    message: Promise | str,
    url: str = "",
    params: dict[str, Any] | None = None,
    email_subject: Promise | str | None = None,
) -> Notification:
    """Record an in-app notification for ``membership`` and, when ``email_subject`` is given, e-mail it too.

    ``message`` and ``email_subject`` are rendered with ``params`` in the member's language. The e-mail goes from
    the ``default`` queue after the transaction commits, so a rolled-back action tells nobody.
    """
    language = membership.user.language or membership.organization.language
    with translation.override(language):
        text = str(message) % (params or {})
        subject = str(email_subject) % (params or {}) if email_subject is not None else ""
    notification = Notification.objects.create(
        organization=membership.organization, membership=membership, kind=kind, message=text, url=url
    )
    if subject:
        from ambassadors.tasks.notifications import send_notification_email

        transaction.on_commit(
            partial(
                send_notification_email.delay,
                organization_id=membership.organization_id,
                notification_id=notification.pk,
                subject=subject,
            )
        )
    return notification
