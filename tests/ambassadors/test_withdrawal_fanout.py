"""Withdrawing a post shared by many members: the editor's transaction writes their notices in one insert and
enqueues one task for the e-mails; that task sends each e-mail once, and one the mail server refuses is retried on
its own while the others go out."""

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy.roles import Role
from advocacy.tasks import EMAIL_RETRY_DELAYS
from ambassadors.models import Notification, Share
from ambassadors.tasks.notifications import send_notification_emails
from content.services import post_withdraw
from tests.ambassadors.test_shares import live_post, share_of
from tests.content.factories import eager_celery
from tests.factories import MembershipFactory, UserFactory
from tests.smtp import smtp_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

Status = Share.Status


def shared_by(scoped, count: int, title: str):
    """A live post with a waiting share of ``count`` members and a published one of ``count`` others."""
    post = live_post(scoped, title=title)
    members = []
    for n in range(2 * count):
        user = UserFactory(email=f"{title.lower()}-{n}@acme.test")
        membership = MembershipFactory(organization=scoped.organization, user=user, role=Role.AMBASSADOR)
        if n % 2:
            share_of(scoped, membership, post, status=Status.SCHEDULED)
        else:
            share_of(
                scoped,
                membership,
                post,
                status=Status.PUBLISHED,
                published_at=timezone.now(),
                external_url=f"https://www.linkedin.com/feed/update/urn:li:share:{n}",
            )
        members.append(user)
    return post, members


def withdraw(scoped, post, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        post_withdraw(post=post, by=scoped.editor)
    return len(queries), callbacks


def test_a_withdrawal_writes_every_notice_in_one_insert_and_enqueues_one_email_task(
    scoped, django_capture_on_commit_callbacks
):
    few, _ = shared_by(scoped, 2, "Few")
    many, members = shared_by(scoped, 12, "Many")

    few_queries, _few_callbacks = withdraw(scoped, few, django_capture_on_commit_callbacks)
    many_queries, callbacks = withdraw(scoped, many, django_capture_on_commit_callbacks)

    assert many_queries == few_queries
    assert len(callbacks) == 1
    notices = Notification.objects.filter(membership__user__in=members)
    assert notices.count() == 24
    assert {notice.kind for notice in notices} == {"share_cancelled", "share_delete_requested"}
    assert mail.outbox == []  # nothing leaves before the task runs

    with eager_celery():
        callbacks[0]()

    assert sorted(message.to[0] for message in mail.outbox) == sorted(user.email for user in members)


def test_one_refused_address_does_not_stop_the_others_and_is_retried_on_its_own(
    scoped,
    smtp_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    post, members = shared_by(scoped, 3, "Refused")
    withdraw(scoped, post, django_capture_on_commit_callbacks)
    notices = Notification.objects.filter(membership__user__in=members).order_by("pk")
    refused = notices.first()
    smtp_server.refused_once.add(refused.membership.user.email)  # the first of the batch: the others come after it
    others = sorted(notice.membership.user.email for notice in notices[1:])
    kwargs = {"organization_id": scoped.organization.pk, "notification_ids": [notice.pk for notice in notices]}

    with eager_celery(), pytest.raises(Retry) as retry:
        send_notification_emails.apply(kwargs=kwargs).get()

    assert smtp_server.recipients == others
    assert retry.value.sig.kwargs["notification_ids"] == [refused.pk]
    assert retry.value.when == EMAIL_RETRY_DELAYS[0]
    with eager_celery():
        assert retry.value.sig.apply().get() == 1
    assert smtp_server.recipients == sorted([*others, refused.membership.user.email])


def test_an_outsider_gets_a_404_for_the_withdrawn_post(client, scoped, django_capture_on_commit_callbacks):
    post, _members = shared_by(scoped, 1, "Hidden")
    withdraw(scoped, post, django_capture_on_commit_callbacks)
    client.force_login(scoped.outsider)

    assert client.get(reverse("post_detail", args=[scoped.organization.slug, post.pk])).status_code == 404
