"""Publishing through real ``celery worker`` processes against the test database and Redis, with the fake networks
served from this process (R2–R5, R7, K7): workers killed mid-publish, networks answering 500, 429 or nothing, tokens
expired or refused, two workers on one share. Each share ends published exactly once or waits visibly.

The workers reach the fakes over HTTP: their URLs and short timeouts travel in the environment. The tick is called
from this process (as beat would send it); ``RELAIS_PUBLISH_QUEUED_GUARD`` is one second here because a worker's
cache prefix differs from this process's, so it cannot release the guard this process set.
"""

import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import Notification, Share, ShareAttempt, SocialConnection
from ambassadors.tasks.publishing import enqueue_due_publishes, publish_share
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.celery_processes import network_env, require_postgresql, stopped_at_exit, wait_for
from tests.celery_processes import start_worker as start_worker_process
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.worker

CONNECT_TIMEOUT, READ_TIMEOUT, CLAIM_MARGIN = 1.0, 2.0, 0.5
SETTLE_SECONDS = 30


@pytest.fixture
def start_worker(
    transactional_db, tmp_path, settings, fake_linkedin, fake_x
) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start a worker (pool solo, every queue) pointed at the fakes; every worker started is stopped at the end."""
    require_postgresql()
    settings.RELAIS_PROVIDER_CONNECT_TIMEOUT = CONNECT_TIMEOUT
    settings.RELAIS_PROVIDER_READ_TIMEOUT = READ_TIMEOUT
    settings.RELAIS_PUBLISH_CLAIM_MARGIN = CLAIM_MARGIN
    settings.RELAIS_PUBLISH_QUEUED_GUARD = 1
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}
    with stopped_at_exit() as processes:

        def start(**extra_env: str) -> subprocess.Popen:
            hostname = f"relais-publish-{uuid.uuid4().hex[:8]}@localhost"
            env = {**fakes_env(fake_linkedin, fake_x), **extra_env}
            process = start_worker_process(hostname, log=tmp_path / f"{hostname.split('@')[0]}.log", env=env)
            processes.append(process)
            return process

        yield start


def fakes_env(fake_linkedin, fake_x) -> dict[str, str]:
    """What a worker needs to reach this test's fake networks, fast: their URLs, credentials and short timeouts."""
    return {
        **network_env("linkedin", fake_linkedin),
        **network_env("x", fake_x),
        "RELAIS_PROVIDER_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        "RELAIS_PROVIDER_READ_TIMEOUT": str(READ_TIMEOUT),
        "RELAIS_PUBLISH_CLAIM_MARGIN": str(CLAIM_MARGIN),
        "RELAIS_PUBLISH_INTERVAL_LINKEDIN": "0",
        "RELAIS_PUBLISH_INTERVAL_X": "0",
        "RELAIS_PUBLISH_BACKOFF": "1",
    }


@pytest.fixture
def member(transactional_db) -> Membership:
    organization = OrganizationFactory()
    with organization_scope(organization):
        membership = MembershipFactory(organization=organization)
        CharterAcceptanceFactory(organization=organization, membership=membership)
    return membership


def schedule(membership: Membership, connection: SocialConnection) -> Share:
    organization = membership.organization
    with organization_scope(organization):
        post = PostFactory(organization=organization, status=Post.Status.APPROVED)
        return ShareFactory(
            organization=organization,
            membership=membership,
            post=post,
            network=connection.provider,
            connection=connection,
        )


def state(share: Share) -> Share:
    with organization_scope(share.organization):
        return Share.objects.get(pk=share.pk)


def attempts(share: Share) -> list[tuple[str, str]]:
    with organization_scope(share.organization):
        return list(ShareAttempt.objects.filter(share=share).order_by("number").values_list("kind", "outcome"))


def settled(share: Share, *statuses: str) -> Share:
    """Tick until the share reaches one of ``statuses`` (the tick is what beat sends every minute)."""

    def done() -> bool:
        enqueue_due_publishes()
        return state(share).status in statuses

    wait_for(done, timeout=SETTLE_SECONDS, what=f"share {share.pk} to become {'/'.join(statuses)}")
    return state(share)


def holds_a_request(fake, route_name: str) -> bool:
    """The network has received the call its fault script delays (the attempt row alone does not say the request
    left the worker: a loaded machine may kill the worker between the two)."""
    with fake.lock:
        return not fake.faults[route_name].script


def in_flight(share: Share) -> bool:
    with organization_scope(share.organization):
        return ShareAttempt.objects.filter(share=share, outcome="").exists()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def test_a_worker_killed_inside_the_call_leaves_one_post_found_by_the_next_worker(start_worker, fake_x, member):
    """R2/R3: the worker is SIGKILLed while X holds its request ("slow-before": X stores the post after the sleep,
    as a network would after the client vanished). Redis would hand the unacknowledged message to another worker
    only after the visibility timeout (an hour); meanwhile the claim goes stale and the tick's sweep gives the share
    to a new worker, which finds the attempt in flight, treats it as unknown and reconciles: one post, found by its
    text, never resent."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_faults("publish", script=["slow-before"], slow_seconds=1.5)
    first = start_worker()

    enqueue_due_publishes()
    wait_for(lambda: holds_a_request(fake_x, "publish"), timeout=SETTLE_SECONDS, what="the publish call")
    assert in_flight(share)
    kill(first)
    start_worker()
    wait_for(lambda: len(fake_x.live_posts()) == 1, timeout=SETTLE_SECONDS, what="the post to land")

    share = settled(share, "published")
    [post] = fake_x.live_posts()
    assert share.external_id == post.id
    assert attempts(share) == [("publish", "unknown"), ("reconcile", "ok")]
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


def test_a_worker_killed_before_the_call_is_published_once_by_the_next(start_worker, fake_linkedin, member):
    """R2: killed while refreshing the token, before any attempt: the next worker publishes normally."""
    fake_linkedin.set_knob("refresh_enabled", True)
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member, expires_in=60)
    share = schedule(member, connection)
    fake_linkedin.set_faults("token", script=["slow-before"], slow_seconds=1.5)
    first = start_worker(RELAIS_LINKEDIN_REFRESH="1")

    enqueue_due_publishes()
    wait_for(lambda: state(share).status == "publishing", timeout=SETTLE_SECONDS, what="the claim")
    time.sleep(0.3)
    kill(first)
    assert not in_flight(share)
    start_worker(RELAIS_LINKEDIN_REFRESH="1")

    share = settled(share, "published")
    assert attempts(share) == [("publish", "ok")]
    assert len(fake_linkedin.live_posts()) == 1


def test_a_500_then_200_publishes_once(start_worker, fake_linkedin, member):
    """The 5xx may have landed, so the share waits the first backoff and gets the single duplicate-safe resend."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=[500])
    start_worker()

    share = settled(share, "published")
    assert attempts(share) == [("publish", "unknown"), ("resend", "ok")]
    assert len(fake_linkedin.live_posts()) == 1


def test_a_429_waits_for_the_reset_then_publishes_once(start_worker, fake_x, member):
    """R5: X's window is shifted so its reset falls three seconds from now; nothing is sent before it."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_knob("user_window_limit", 0)
    fake_x.clock.advance(-(15 * 60 - 3))
    start_worker()

    enqueue_due_publishes()
    wait_for(lambda: attempts(share) == [("publish", "wait")], timeout=SETTLE_SECONDS, what="the rate limit")
    share = state(share)
    reset = share.not_before
    assert share.status == "scheduled" and share.attempts == 0
    fake_x.clock.advance(15 * 60 - 3)
    fake_x.set_knob("user_window_limit", 100)

    share = settled(share, "published")
    assert share.published_at >= reset
    assert len(fake_x.live_posts()) == 1
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 2


def test_a_timeout_after_the_network_accepted_waits_for_the_member_with_one_post(start_worker, fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    fake_linkedin.set_faults("publish", script=["slow-after"], slow_seconds=READ_TIMEOUT + 1)
    start_worker()

    share = settled(share, "needs_action")
    enqueue_due_publishes()
    time.sleep(1)

    assert state(share).action_required == "check"
    assert len(fake_linkedin.live_posts()) == 1
    assert len(fake_linkedin.requests_to("POST", "/rest/posts")) == 1


def test_an_expired_token_is_refreshed_once_then_published(start_worker, fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member, expires_in=5)
        # Our copy still believes in the token: the 401 is the first sign of its expiry.
        SocialConnection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(hours=1))
    share = schedule(member, connection)
    fake_x.clock.advance(60)
    start_worker()

    share = settled(share, "published")
    assert attempts(share) == [("publish", "refresh"), ("publish", "ok")]
    assert len(fake_x.requests_to("POST", "/2/oauth2/token")) == 1


def test_a_refused_refresh_marks_the_account_and_tells_the_member(start_worker, fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.revoke_member(connection.provider_uid)
    start_worker()

    share = settled(share, "needs_action")
    assert share.action_required == "reconnect"
    with organization_scope(member.organization):
        assert SocialConnection.objects.get(pk=connection.pk).status == "needs_reconnect"
        assert Notification.objects.filter(membership=member, kind="reconnect").count() == 1
    assert fake_x.live_posts() == []


def test_two_workers_given_the_same_share_publish_it_once(start_worker, fake_x, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    fake_x.set_faults("publish", script=["slow-before"], slow_seconds=0.5)
    start_worker()
    start_worker()

    kwargs = {"organization_id": share.organization_id, "share_id": share.pk}
    results = [publish_share.apply_async(kwargs=kwargs) for _ in range(2)]

    assert sorted(result.get(timeout=SETTLE_SECONDS) for result in results) == ["published", "skipped"]
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1
