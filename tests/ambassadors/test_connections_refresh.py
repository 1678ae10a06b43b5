"""Refreshing tokens: on demand for the workers (single flight, K5), rotation (K6), a refused refresh (K7), and the
beat jobs that refresh ahead of expiry and warn before LinkedIn's 60 days end."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection as db
from django.utils import timezone

from advocacy.celery import app as celery_app
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, SocialConnection
from ambassadors.providers.base import ReconnectRequired, Transient
from ambassadors.sandbox.base import Response, SandboxServer
from ambassadors.sandbox.linkedin import FakeLinkedIn
from ambassadors.services.connections import fresh_access_token
from ambassadors.signals import connection_needs_reconnect
from ambassadors.tasks.connections import check_connection_expiry, connections_tick, refresh_connection
from ambassadors.ticks.connections import due_expiry_checks, due_refreshes
from tests.ambassadors.factories import connect_on

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


@pytest.fixture
def eager_celery():
    """Tasks enqueued by the tick run in this process, so the test sees their effect."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def membership(personas):
    return personas.membership(personas.ambassador)


def test_a_fresh_token_is_returned_without_calling_the_network(personas, membership, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, membership)
        stored = connection.access_token()

        assert fresh_access_token(connection=connection) == stored
    assert fake_x.requests_to("POST", "/2/oauth2/token") == []


def test_a_token_expiring_within_five_minutes_is_refreshed_first(personas, membership, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, membership, expires_in=240)
        SocialConnection.objects.filter(pk=connection.pk).update(
            access_expires_at=timezone.now() + timedelta(minutes=4)
        )
        connection.refresh_from_db()
        old = connection.access_token()

        token = fresh_access_token(connection=connection)

        assert token != old
        connection.refresh_from_db()
        assert connection.access_token() == token
        assert connection.last_refreshed_at is not None
        assert connection.access_expires_at > timezone.now() + timedelta(hours=1)
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1


# --- K5 ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_make_one_call_and_both_get_the_new_token(personas, fake_x):
    organization = personas.organization
    with organization_scope(organization):
        connection = connect_on(fake_x, personas.membership(personas.ambassador))
        old = connection.access_token()
    # The first refresh is held at the network for a moment, so the second caller is surely waiting on the lock.
    fake_x.set_faults("token", script=["slow-before"], slow_seconds=1.0)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with organization_scope(organization):
                copy = SocialConnection.objects.get(pk=connection.pk)
                barrier.wait()
                results.append(fresh_access_token(connection=copy, force_refresh=True))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert errors == []
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1
    assert len(results) == 2 and results[0] == results[1] != old
    with organization_scope(organization):
        assert SocialConnection.objects.get(pk=connection.pk).access_token() == results[0]


def test_a_caller_with_a_stale_copy_uses_the_token_a_sibling_refreshed(personas, membership, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, membership)
        stale = SocialConnection.objects.get(pk=connection.pk)
        fresh = fresh_access_token(connection=connection, force_refresh=True)

        assert fresh_access_token(connection=stale, force_refresh=True) == fresh
        assert stale.token_version == connection.token_version
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1


# --- K6 ------------------------------------------------------------------------------------------------------------


def test_a_rotated_refresh_token_is_stored_and_the_old_one_is_spent(personas, membership, fake_x):
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, membership)
        old_refresh = connection.refresh_token()

        fresh_access_token(connection=connection, force_refresh=True)

        connection.refresh_from_db()
        assert connection.refresh_token() not in ("", old_refresh)
        assert fake_x.tokens[old_refresh].dead
        fresh_access_token(connection=connection, force_refresh=True)  # the stored new one works
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 2


class LinkedInKeepingTheRefreshToken(FakeLinkedIn):
    """A LinkedIn whose refresh answer leaves ``refresh_token`` out (the client must keep the one it has)."""

    def _refresh(self, form):
        answer = super()._refresh(form)
        if answer.status != 200:
            return answer
        data = json.loads(answer.body)
        data.pop("refresh_token", None)
        data.pop("refresh_token_expires_in", None)
        return Response.json(data, answer.status)


@pytest.fixture
def linkedin_without_rotation(settings):
    network = LinkedInKeepingTheRefreshToken()
    network.refresh_enabled = True
    with SandboxServer(network) as server:
        network.base_url = server.url
        settings.RELAIS_LINKEDIN_AUTH_URL = settings.RELAIS_LINKEDIN_API_URL = server.url
        settings.RELAIS_LINKEDIN_CLIENT_ID = network.client_id
        settings.RELAIS_LINKEDIN_CLIENT_SECRET = network.client_secret
        settings.RELAIS_LINKEDIN_REFRESH = True
        yield network


def test_a_refresh_answer_without_refresh_token_keeps_the_old_one(personas, membership, linkedin_without_rotation):
    with organization_scope(personas.organization):
        connection = connect_on(linkedin_without_rotation, membership)
        old_access, old_refresh = connection.access_token(), connection.refresh_token()
        assert old_refresh

        new_access = fresh_access_token(connection=connection, force_refresh=True)

        connection.refresh_from_db()
        assert new_access != old_access
        assert connection.refresh_token() == old_refresh


# --- K7 ------------------------------------------------------------------------------------------------------------


def test_a_refused_refresh_marks_the_connection_and_tells_the_member_once(
    personas, membership, fake_x, eager_celery, django_capture_on_commit_callbacks
):
    received = []

    def listener(sender, connection, **kwargs):
        received.append(connection.pk)

    connection_needs_reconnect.connect(listener)
    try:
        with organization_scope(personas.organization):
            connection = connect_on(fake_x, membership)
            fake_x.revoke_member(connection.provider_uid)
            with django_capture_on_commit_callbacks(execute=True):
                with pytest.raises(ReconnectRequired):
                    fresh_access_token(connection=connection, force_refresh=True)
            connection.refresh_from_db()
            assert connection.status == SocialConnection.Status.NEEDS_RECONNECT
            assert connection.last_error_code == "refresh_refused"
            # No retry loop: the unusable connection refuses at once, without calling the network again.
            with django_capture_on_commit_callbacks(execute=True):
                with pytest.raises(ReconnectRequired):
                    fresh_access_token(connection=connection, force_refresh=True)
                from ambassadors.services.connections import connection_mark_needs_reconnect

                connection_mark_needs_reconnect(connection=connection, code="revoked")
            notices = list(Notification.objects.filter(kind="reconnect"))
    finally:
        connection_needs_reconnect.disconnect(listener)

    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1
    assert received == [connection.pk]
    assert len(notices) == 1
    assert notices[0].url == "/o/acme/connections/#x"
    assert "Your X account needs reconnecting" in notices[0].message
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [personas.ambassador.email]
    assert mail.outbox[0].subject == "Reconnect your X account"
    assert "http://127.0.0.1:8000/o/acme/connections/#x" in mail.outbox[0].body


def test_a_transient_failure_changes_nothing(personas, membership, fake_x, fast_timeouts):
    fake_x.set_faults("token", script=[503])
    with organization_scope(personas.organization):
        connection = connect_on(fake_x, membership)
        version = connection.token_version

        with pytest.raises(Transient):
            fresh_access_token(connection=connection, force_refresh=True)

        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.ACTIVE
        assert connection.token_version == version
        assert not Notification.objects.exists()


def test_a_linkedin_token_without_refresh_that_expired_needs_reconnecting(personas, membership, fake_linkedin):
    with organization_scope(personas.organization):
        connection = connect_on(fake_linkedin, membership)
        SocialConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() - timedelta(hours=1))
        connection.refresh_from_db()

        with pytest.raises(ReconnectRequired):
            fresh_access_token(connection=connection)

        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.NEEDS_RECONNECT
        assert connection.last_error_code == "expired"
    assert fake_linkedin.journal == []


# --- The beat jobs ---------------------------------------------------------------------------------------------------


def _aged(connection, **fields):
    SocialConnection.objects.filter(pk=connection.pk).update(**fields)
    connection.refresh_from_db()
    return connection


def test_the_tick_lists_connections_due_for_refresh_in_every_organisation(personas, fake_x, fake_linkedin, settings):
    settings.RELAIS_LINKEDIN_REFRESH = True
    fake_linkedin.refresh_enabled = True
    now = timezone.now()
    acme, globex = personas.organization, personas.other_organization
    with organization_scope(acme):
        idle_x = _aged(
            connect_on(fake_x, personas.membership(personas.ambassador)), connected_at=now - timedelta(days=8)
        )
        busy_x = _aged(
            connect_on(fake_x, personas.membership(personas.editor)),
            connected_at=now - timedelta(days=30),
            last_refreshed_at=now - timedelta(days=1),
        )
        soon = _aged(
            connect_on(fake_linkedin, personas.membership(personas.manager)), access_expires_at=now + timedelta(days=6)
        )
        later = _aged(
            connect_on(fake_linkedin, personas.membership(personas.approver)),
            access_expires_at=now + timedelta(days=20),
        )
        broken = _aged(
            connect_on(fake_x, personas.membership(personas.admin)),
            connected_at=now - timedelta(days=9),
            status=SocialConnection.Status.NEEDS_RECONNECT,
        )
    with organization_scope(globex):
        from advocacy.models import Membership

        other = _aged(
            connect_on(fake_x, Membership.objects.get(user=personas.outsider)), connected_at=now - timedelta(days=10)
        )

    due = due_refreshes()

    assert set(due) == {(idle_x.pk, acme.pk), (soon.pk, acme.pk), (other.pk, globex.pk)}
    assert not {busy_x.pk, later.pk, broken.pk} & {pk for pk, _ in due}


def test_the_tick_refreshes_each_due_connection_once(personas, fake_x, eager_celery):
    with organization_scope(personas.organization):
        connection = _aged(
            connect_on(fake_x, personas.membership(personas.ambassador)),
            connected_at=timezone.now() - timedelta(days=8),
        )
        old = connection.access_token()

    assert connections_tick() == {"refresh": 1, "expiry": 0}
    # A redelivered task finds the connection no longer due.
    assert refresh_connection(organization_id=personas.organization.pk, connection_id=connection.pk) == "not_due"

    with organization_scope(personas.organization):
        connection.refresh_from_db()
        assert connection.access_token() != old
        assert connection.last_refreshed_at is not None
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1
    assert due_refreshes() == []


def test_a_second_tick_within_minutes_enqueues_nothing(personas, fake_x, eager_celery):
    with organization_scope(personas.organization):
        _aged(
            connect_on(fake_x, personas.membership(personas.ambassador)),
            connected_at=timezone.now() - timedelta(days=8),
        )

    connections_tick()
    assert connections_tick() == {"refresh": 0, "expiry": 0}


def test_a_refused_refresh_in_the_beat_marks_the_connection(personas, fake_x):
    with organization_scope(personas.organization):
        connection = _aged(
            connect_on(fake_x, personas.membership(personas.ambassador)),
            connected_at=timezone.now() - timedelta(days=8),
        )
    fake_x.revoke_member(connection.provider_uid)

    result = refresh_connection(organization_id=personas.organization.pk, connection_id=connection.pk)

    assert result == "reconnect"
    with organization_scope(personas.organization):
        connection.refresh_from_db()
        assert connection.status == SocialConnection.Status.NEEDS_RECONNECT


def test_linkedin_without_refresh_warns_a_week_before_day_60_then_needs_reconnecting(
    personas, fake_linkedin, eager_celery, django_capture_on_commit_callbacks
):
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    organization = personas.organization
    with time_machine.travel(start, tick=False), organization_scope(organization):
        connection = connect_on(fake_linkedin, personas.membership(personas.ambassador))
        assert connection.access_expires_at.date() == (start + timedelta(days=60)).date()

    with time_machine.travel(start + timedelta(days=50), tick=False):
        assert due_expiry_checks() == []

    with time_machine.travel(start + timedelta(days=54), tick=False):
        assert due_expiry_checks() == [(connection.pk, organization.pk)]
        with django_capture_on_commit_callbacks(execute=True):
            assert check_connection_expiry(organization_id=organization.pk, connection_id=connection.pk) == "warned"
            # Redelivered: nobody is told twice.
            assert check_connection_expiry(organization_id=organization.pk, connection_id=connection.pk) == "skipped"
        assert due_expiry_checks() == []
        with organization_scope(organization):
            warning = Notification.objects.get(kind="expiry_warning")
        assert "Your LinkedIn connection ends on April 30, 2026" in warning.message
        assert len(mail.outbox) == 1
        assert mail.outbox[0].subject == "Your LinkedIn connection ends on April 30, 2026"
        page = _page_as(personas.ambassador)
        assert "Expires in 6 days — reconnect now" in page

    with time_machine.travel(start + timedelta(days=60, hours=1), tick=False):
        assert due_expiry_checks() == [(connection.pk, organization.pk)]
        with django_capture_on_commit_callbacks(execute=True):
            assert connections_tick() == {"refresh": 0, "expiry": 1}
        with organization_scope(organization):
            connection.refresh_from_db()
            assert connection.status == SocialConnection.Status.NEEDS_RECONNECT
            assert connection.last_error_code == "expired"
            assert Notification.objects.filter(kind="reconnect").count() == 1
        assert len(mail.outbox) == 2
        assert due_expiry_checks() == []


def _page_as(user) -> str:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    return client.get(reverse("connections", args=["acme"])).content.decode()
