"""Every e-mail is sent once (``advocacy.mail``): a task delivered twice, a cache flushed between two runs, a worker
that died between claiming a message and sending it, or a mail server that refused it.

The policy for a claim left behind: younger than ``RELAIS_EMAIL_CLAIM_SECONDS``, another worker may be sending it, so
the task retries later and sends nothing now; older, the worker is taken for dead and the message is sent."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from advocacy.mail import EmailsNotSent
from advocacy.models import SentEmail
from advocacy.roles import Role
from advocacy.services import invitation_create_many
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification
from ambassadors.notifications import notify_member
from ambassadors.tasks.notifications import send_notification_emails
from content.models import Suggestion
from content.tasks import notify_suggestion_declined
from tests.content.factories import SuggestionFactory, eager_celery
from tests.smtp import smtp_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def _run_twice(callbacks) -> None:
    """What a redelivered message does: the enqueued work runs, then runs again."""
    with eager_celery():
        for _ in range(2):
            for callback in callbacks:
                callback()


def _notify(personas) -> Notification:
    membership = personas.membership(personas.ambassador)
    with organization_scope(personas.organization):
        return notify_member(
            membership=membership,
            kind="reconnect",
            message="Your LinkedIn account needs reconnecting.",
            email_subject="Reconnect your LinkedIn account",
        )


def _send(personas, notification: Notification) -> int:
    return send_notification_emails(organization_id=personas.organization.pk, notification_ids=[notification.pk])


def test_a_notification_email_delivered_twice_is_sent_once(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _notify(personas)

    _run_twice(callbacks)

    assert [message.to for message in mail.outbox] == [[personas.ambassador.email]]
    assert mail.outbox[0].subject == "Reconnect your LinkedIn account"


def test_an_invitation_batch_delivered_twice_mails_each_address_once(personas, django_capture_on_commit_callbacks):
    with organization_scope(personas.organization), django_capture_on_commit_callbacks() as callbacks:
        invitation_create_many(
            organization=personas.organization,
            inviter=personas.admin,
            emails=["ines@acme.test", "jules@acme.test"],
            role=Role.AMBASSADOR,
        )

    _run_twice(callbacks)

    assert sorted(message.to[0] for message in mail.outbox) == ["ines@acme.test", "jules@acme.test"]


def test_the_guard_outlives_a_cache_flush(personas):
    with organization_scope(personas.organization):
        suggestion = SuggestionFactory(organization=personas.organization, status=Suggestion.Status.DECLINED)
    kwargs = {"organization_id": personas.organization.pk, "suggestion_id": suggestion.pk}

    assert notify_suggestion_declined(**kwargs) is True
    cache.clear()  # an eviction, a restarted Redis
    assert notify_suggestion_declined(**kwargs) is False

    assert len(mail.outbox) == 1


def test_a_claim_left_by_a_worker_that_died_is_sent_once_it_is_stale(personas):
    notification = _notify(personas)
    crashed_at = timezone.now() - timedelta(seconds=settings.RELAIS_EMAIL_CLAIM_SECONDS + 1)
    with organization_scope(personas.organization):
        SentEmail.objects.create(key=f"notification:{notification.pk}", claimed_at=crashed_at)

    assert _send(personas, notification) == 1
    assert _send(personas, notification) == 0

    assert len(mail.outbox) == 1
    with organization_scope(personas.organization):
        assert SentEmail.objects.get(key=f"notification:{notification.pk}").sent_at is not None


def test_a_fresh_claim_sends_nothing_now_and_is_retried_after_the_claim_window(personas):
    notification = _notify(personas)
    with organization_scope(personas.organization):
        SentEmail.objects.create(key=f"notification:{notification.pk}", claimed_at=timezone.now())

    with pytest.raises(EmailsNotSent):  # the task's retry: another worker may be sending it right now
        _send(personas, notification)
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.RELAIS_EMAIL_CLAIM_SECONDS + 1)):
        assert _send(personas, notification) == 1
    assert len(mail.outbox) == 1


def test_a_message_the_mail_server_refused_is_sent_by_the_retry(personas, smtp_server):  # noqa: F811
    notification = _notify(personas)
    smtp_server.refused.add(personas.ambassador.email)

    with pytest.raises(EmailsNotSent):
        _send(personas, notification)
    with organization_scope(personas.organization):
        row = SentEmail.objects.get(key=f"notification:{notification.pk}")
    assert (row.claimed_at, row.sent_at) == (None, None)  # released: nothing went out

    smtp_server.refused.clear()
    assert _send(personas, notification) == 1
    assert _send(personas, notification) == 0
    assert smtp_server.recipients == [personas.ambassador.email]


def test_an_outsider_gets_a_404_on_the_members_page_that_sends_invitations(client, personas):
    client.force_login(personas.outsider)

    assert client.get(f"/o/{personas.organization.slug}/members/invite/").status_code == 404
