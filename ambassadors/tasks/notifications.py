"""E-mails of in-app notifications."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.template.loader import render_to_string
from django.utils import translation

from advocacy.mail import Email, EmailBatch, Message, email_send_each
from advocacy.models import Organization
from advocacy.tasks import TenantTask, retry_unsent
from ambassadors.models import Notification
from ambassadors.notifications import absolute_url


def _notification_email(notification: Notification) -> Email:
    user, organization = notification.membership.user, notification.organization
    with translation.override(user.language or organization.language):
        body = render_to_string(
            "emails/notification.txt",
            {
                "recipient": user,
                "organization": organization,
                "notification": notification,
                "url": absolute_url(notification.url) if notification.url else "",
            },
        )
    return Email(subject=notification.email_subject, body=body, to=user.email)


def notifications_email(*, organization_id: int, notification_ids: list[int]) -> EmailBatch:
    """E-mail each listed notification that has a subject to its member, once, one failure not stopping the
    others. A notification deleted meanwhile is skipped."""
    notifications = (
        Notification.objects.filter(organization=organization_id, pk__in=notification_ids)
        .exclude(email_subject="")
        .select_related("membership__user", "organization")  # each e-mail's address, language and organisation
        .order_by("pk")
    )
    return email_send_each(
        organization=Organization.objects.get(pk=organization_id),
        messages=(
            Message(
                ref=notification.pk,
                key=f"notification:{notification.pk}",
                compose=partial(_notification_email, notification),
            )
            for notification in notifications
        ),
    )


@shared_task(base=TenantTask, bind=True, name="ambassadors.send_notification_emails")
def send_notification_emails(self: TenantTask, *, organization_id: int, notification_ids: list[int]) -> int:
    """E-mail a batch of notifications, each in its member's language; returns how many were sent now.

    Safe to run twice: each notification is e-mailed once (``advocacy.mail``); those the mail server refused are
    retried on their own.
    """
    batch = notifications_email(organization_id=organization_id, notification_ids=notification_ids)
    retry_unsent(self, batch, ids_argument="notification_ids")
    return batch.sent
