"""E-mails of in-app notifications."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from advocacy.tasks import TenantTask
from ambassadors.models import Notification
from ambassadors.notifications import absolute_url


@shared_task(base=TenantTask, bind=True, name="ambassadors.send_notification_email")
def send_notification_email(self: TenantTask, *, organization_id: int, notification_id: int, subject: str) -> bool:
    """E-mail one notification to its member, in their language. False when the notification is gone."""
    notification = (
        Notification.objects.select_related("membership__user", "organization").filter(pk=notification_id).first()
    )
    if notification is None:
        return False
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
    send_mail(subject, body, None, [user.email])
    return True
