"""What happens to shares when something they depend on changes: a withdrawn post, a member leaving the programme,
an account lost or restored."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from ambassadors.models import Notification, Share, SocialConnection
from ambassadors.services.connections import connection_disconnect, connection_mark_needs_reconnect
from ambassadors.signals import connection_restored
from charter.incidents import incident_withdraw_post
from charter.services import charter_leave
from content.services import post_withdraw
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.charter.factories import IncidentFactory
from tests.content.factories import eager_celery

pytestmark = pytest.mark.django_db

Status = Share.Status


@pytest.fixture
def post(scoped):
    return live_post(scoped, title="Q3 figures")


@pytest.fixture
def members(scoped):
    accept_charter(scoped, scoped.ambassador, scoped.editor, scoped.manager)
    return {user: scoped.membership(user) for user in (scoped.ambassador, scoped.editor, scoped.manager)}


# --- A withdrawn post ----------------------------------------------------------------------------------------------


def test_withdrawing_a_post_cancels_its_waiting_shares_and_tells_their_authors(
    scoped, post, members, django_capture_on_commit_callbacks
):
    ambassador, editor, manager = (members[user] for user in (scoped.ambassador, scoped.editor, scoped.manager))
    waiting = [
        share_of(scoped, ambassador, post, status=Status.SCHEDULED),
        share_of(scoped, ambassador, post, network="generic", status=Status.MANUAL),
        share_of(scoped, editor, post, status=Status.NEEDS_ACTION, action_required="reconnect"),
    ]
    published = share_of(
        scoped,
        manager,
        post,
        status=Status.PUBLISHED,
        published_at=timezone.now(),
        external_url="https://www.linkedin.com/feed/update/urn:li:share:7",
    )
    other_post = share_of(scoped, ambassador, live_post(scoped, title="Other"), status=Status.SCHEDULED)

    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        post_withdraw(post=post, by=scoped.editor)

    assert {Share.objects.get(pk=share.pk).status for share in waiting} == {Status.CANCELLED}
    assert {Share.objects.get(pk=share.pk).last_error_code for share in waiting} == {"post_withdrawn"}
    assert Share.objects.get(pk=published.pk).status == Status.PUBLISHED
    assert Share.objects.get(pk=other_post.pk).status == Status.SCHEDULED
    # One notice per author, in the app and by e-mail.
    cancelled = Notification.objects.filter(kind="share_cancelled")
    assert sorted(n.membership_id for n in cancelled) == sorted([ambassador.pk, editor.pk])
    assert "Q3 figures" in cancelled.get(membership=ambassador).message
    # The member who published it is asked to delete it, with the address of their post.
    delete = Notification.objects.get(kind="share_delete_requested")
    assert delete.membership == manager and delete.url == published.external_url
    assert published.external_url in delete.message
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([scoped.ambassador.email, scoped.editor.email, scoped.manager.email])
    assert any("delete" in message.subject.lower() for message in mail.outbox)


def test_withdrawing_through_an_incident_cancels_the_shares_too(scoped, post, members):
    share = share_of(scoped, members[scoped.ambassador], post, status=Status.SCHEDULED)
    incident = IncidentFactory(organization=scoped.organization, post=post, reported_by=scoped.ambassador)

    incident_withdraw_post(incident=incident, by=scoped.admin)

    assert Share.objects.get(pk=share.pk).status == Status.CANCELLED


def test_a_share_being_published_is_left_to_the_worker_which_checks_the_post_again(scoped, post, members):
    share = share_of(scoped, members[scoped.ambassador], post, status=Status.PUBLISHING)

    post_withdraw(post=post, by=scoped.editor)

    assert Share.objects.get(pk=share.pk).status == Status.PUBLISHING


def test_a_withdrawal_rolled_back_cancels_nothing(scoped, post, members):
    share = share_of(scoped, members[scoped.ambassador], post, status=Status.SCHEDULED)

    with pytest.raises(RuntimeError), transaction.atomic():
        post_withdraw(post=post, by=scoped.editor)
        raise RuntimeError("the request failed later")

    assert Share.objects.get(pk=share.pk).status == Status.SCHEDULED
    assert not Notification.objects.exists()


# --- Leaving the programme -------------------------------------------------------------------------------------


def test_leaving_the_programme_cancels_the_members_waiting_shares_and_tells_them(scoped, post, members):
    member = members[scoped.ambassador]
    waiting = [
        share_of(scoped, member, post, status=Status.SCHEDULED),
        share_of(scoped, member, post, network="x", status=Status.NEEDS_ACTION, action_required="reconnect"),
    ]
    published = share_of(scoped, member, post, network="generic", status=Status.PUBLISHED)
    someone_else = share_of(scoped, members[scoped.editor], post, status=Status.SCHEDULED)

    charter_leave(membership=member, by=scoped.ambassador)

    assert {Share.objects.get(pk=share.pk).status for share in waiting} == {Status.CANCELLED}
    assert Share.objects.get(pk=published.pk).status == Status.PUBLISHED
    assert Share.objects.get(pk=someone_else.pk).status == Status.SCHEDULED
    notice = Notification.objects.get(membership=member, kind="shares_cancelled")
    assert "2" in notice.message and "/shares/" in notice.url


# --- Accounts lost and restored --------------------------------------------------------------------------------------


def test_an_account_that_needs_reconnecting_keeps_its_shares_waiting_not_failed(scoped, post, members, fake_linkedin):
    member = members[scoped.ambassador]
    connection = connect_on(fake_linkedin, member)
    later = share_of(
        scoped,
        member,
        post,
        status=Status.SCHEDULED,
        connection=connection,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
    )
    published = share_of(scoped, member, post, status=Status.PUBLISHED, connection=connection)

    connection_mark_needs_reconnect(connection=connection, code="revoked")

    later.refresh_from_db()
    assert later.status == Status.NEEDS_ACTION and later.action_required == "reconnect"
    assert Share.objects.get(pk=published.pk).status == Status.PUBLISHED


def test_disconnecting_an_account_keeps_its_shares_waiting(scoped, post, members, fake_linkedin):
    member = members[scoped.ambassador]
    connection = connect_on(fake_linkedin, member)
    share = share_of(scoped, member, post, status=Status.SCHEDULED, connection=connection)

    connection_disconnect(connection=connection, by=scoped.ambassador)

    share.refresh_from_db()
    assert share.status == Status.NEEDS_ACTION and share.action_required == "reconnect"


def test_reconnecting_sends_the_waiting_shares_at_their_time_or_now(
    scoped, post, members, fake_linkedin, django_capture_on_commit_callbacks
):
    member = members[scoped.ambassador]
    old = connect_on(fake_linkedin, member)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    overdue = share_of(
        scoped,
        member,
        post,
        status=Status.SCHEDULED,
        connection=old,
        scheduled_at=timezone.now() - dt.timedelta(hours=1),
    )
    later = share_of(scoped, member, post, status=Status.SCHEDULED, connection=old, scheduled_at=tomorrow)
    x_share = share_of(scoped, member, post, network="x", status=Status.NEEDS_ACTION, action_required="reconnect")
    connection_disconnect(connection=old, by=scoped.ambassador)
    new = connect_on(fake_linkedin, member)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        connection_restored.send(sender=SocialConnection, connection=new)

    overdue.refresh_from_db(), later.refresh_from_db(), x_share.refresh_from_db()
    assert overdue.status == later.status == Status.SCHEDULED
    assert overdue.connection == later.connection == new
    assert overdue.scheduled_at >= timezone.now() - dt.timedelta(seconds=5) and later.scheduled_at == tomorrow
    assert x_share.status == Status.NEEDS_ACTION
    assert len(callbacks) == 1
