"""The metrics tick: which connections it lists across organisations, what it enqueues on the ``metrics`` queue, and
(with a real worker process) a tick's polls landing as snapshots."""

import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from advocacy.celery import app as celery_app
from advocacy.tenancy import organization_scope, scopes_disabled
from ambassadors.metrics import schedule
from ambassadors.models import MetricSnapshot, ProviderPause, Share, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.providers.base import ShareRequest
from ambassadors.tasks.metrics import enqueued_key, poll_connection_metrics, poll_due_metrics
from ambassadors.ticks.metrics import due_metrics_connections
from tests.ambassadors.factories import ShareFactory, SocialConnectionFactory, connect_on
from tests.celery_processes import require_postgresql, start_worker, stopped_at_exit
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory

QUEUES = ("publish", "metrics", "default")


def _connection(organization, **fields):
    with organization_scope(organization):
        return SocialConnectionFactory(organization=organization, provider="x", **fields)


def _share(connection, *, due_in=timedelta(minutes=-5), **fields):
    with organization_scope(connection.organization):
        values = {
            "organization": connection.organization,
            "membership": connection.membership,
            "post": PostFactory(organization=connection.organization),
            "network": "x",
            "connection": connection,
            "status": Share.Status.PUBLISHED,
            "external_id": f"{1_800_000_000_000_000_000 + Share.objects.count()}",
            "published_at": timezone.now() - timedelta(hours=2),
            "metrics_state": Share.MetricsState.POLLING,
            "metrics_next_poll_at": timezone.now() + due_in,
        }
        return ShareFactory(**(values | fields))


@pytest.fixture
def broker():
    """The Redis lists of the three queues, declared and emptied before and after the test."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    with celery_app.connection_for_write() as conn:
        for declared in celery_app.amqp.queues.values():
            declared.bind(conn.default_channel).declare()
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)


def test_the_tick_lists_due_active_connections_once_each_as_id_and_organisation(db):
    alpha, beta, dormant = OrganizationFactory(), OrganizationFactory(), OrganizationFactory(is_active=False)
    busy, other = _connection(alpha), _connection(beta)
    for _ in range(3):
        _share(busy)
    _share(other, due_in=timedelta(hours=-2))
    # Not listed: not yet due, polling stopped, an account to reconnect, a disconnected one, an inactive organisation.
    _share(_connection(alpha), due_in=timedelta(minutes=5))
    _share(_connection(beta), metrics_state=Share.MetricsState.DELETED)
    _share(_connection(alpha, status=SocialConnection.Status.NEEDS_RECONNECT))
    _share(_connection(beta, status=SocialConnection.Status.DISCONNECTED))
    _share(_connection(dormant))

    assert due_metrics_connections() == [(other.pk, beta.pk), (busy.pk, alpha.pk)]
    assert due_metrics_connections(limit=1) == [(other.pk, beta.pk)]


def test_a_network_paused_for_the_platform_is_not_polled(db):
    organization = OrganizationFactory()
    _share(_connection(organization))
    ProviderPause.objects.create(provider="x", kind="credits")

    assert due_metrics_connections() == []


def test_a_connection_whose_token_may_not_read_figures_is_not_polled(db):
    organization = OrganizationFactory()
    with organization_scope(organization):
        connection = SocialConnectionFactory(
            organization=organization, scopes=["openid", "profile", "w_member_social"], metrics_granted=False
        )
    _share(connection, network="linkedin", external_id="urn:li:share:7234567890123456789")

    assert due_metrics_connections() == []


def test_the_tick_enqueues_each_due_connection_once_on_the_metrics_queue(db, broker):
    alpha, beta = OrganizationFactory(), OrganizationFactory()
    first, second = _connection(alpha), _connection(beta)
    _share(first)
    _share(first)
    _share(second)

    assert poll_due_metrics.apply().get() == 2
    # A second beat message at once: the tick's own lock.
    assert poll_due_metrics.apply().get() == 0
    # A later tick while the polls still wait in the queue: each connection's guard.
    cache.delete("ambassadors:metrics-tick")
    assert poll_due_metrics.apply().get() == 0

    assert {name: broker.llen(name) for name in QUEUES} == {"publish": 0, "metrics": 2, "default": 0}


def test_a_finished_poll_releases_its_connection_for_the_next_tick(db, broker):
    organization = OrganizationFactory()
    connection = _connection(organization, status=SocialConnection.Status.NEEDS_RECONNECT)
    _share(connection)
    cache.add(enqueued_key(organization.pk, connection.pk), 1, 60)

    result = poll_connection_metrics.apply(
        kwargs={"organization_id": organization.pk, "connection_id": connection.pk}
    ).get()

    assert result["outcome"] == "not_active"
    assert cache.get(enqueued_key(organization.pk, connection.pk)) is None


# --- a real worker -------------------------------------------------------------------------------------------------


@pytest.fixture
def metrics_worker(transactional_db, fake_x, tmp_path):
    """One worker process consuming the ``metrics`` queue only, pointed at the fake X of this test."""
    require_postgresql()
    env = {"RELAIS_X_AUTH_URL": fake_x.base_url, "RELAIS_X_API_URL": fake_x.base_url}
    with stopped_at_exit() as processes:
        hostname = f"relais-metrics-{uuid.uuid4().hex[:8]}@localhost"
        processes.append(start_worker(hostname, log=tmp_path / "worker.log", queues="metrics", env=env))
        yield processes[0]


@pytest.mark.worker
def test_a_tick_polls_published_shares_through_a_worker_on_the_metrics_queue(fake_x, metrics_worker):
    organization = OrganizationFactory()
    with organization_scope(organization):
        connection = connect_on(fake_x, MembershipFactory(organization=organization))
        post = PostFactory(organization=organization)
    provider = get_provider("x")
    published_at = timezone.now() - timedelta(hours=1, minutes=1)
    shares = []
    for number in range(3):
        text = f"Worker share {number}: proud of this one."
        remote = provider.publish(
            access_token=connection.access_token(), share=ShareRequest(author_uid=connection.provider_uid, text=text)
        )
        with organization_scope(organization):
            shares.append(
                ShareFactory(
                    organization=organization,
                    membership=connection.membership,
                    post=post,
                    network="x",
                    connection=connection,
                    text=text,
                    status=Share.Status.PUBLISHED,
                    external_id=remote.external_id,
                    published_at=published_at,
                    metrics_state=Share.MetricsState.POLLING,
                    metrics_next_poll_at=published_at + schedule()[0],
                )
            )
    fake_x.clock.advance(3600)

    assert poll_due_metrics.apply().get() == 1

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with scopes_disabled():
            if MetricSnapshot.objects.filter(share__in=shares).count() == 3:
                break
        time.sleep(0.2)
    with organization_scope(organization):
        assert MetricSnapshot.objects.filter(share__in=shares, slot=1).count() == 3
        assert set(Share.objects.filter(pk__in=[s.pk for s in shares]).values_list("metrics_polls", flat=True)) == {1}
    assert len([entry for entry in fake_x.requests_to("GET", "/2/tweets") if entry.path == "/2/tweets"]) == 1
    assert metrics_worker.poll() is None
