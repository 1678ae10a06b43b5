"""The publish tick, the claim and pacing: due and stuck shares listed across organisations, one enqueue per share,
one network call per share whatever the number of messages, ticks or workers (R1, R4, R9), a stale claim taken over
and reconciled (R3), and a burst on one account spread out."""

import threading
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from ambassadors.models import ProviderPause, Share, ShareAttempt, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.providers.base import ShareRequest
from ambassadors.services.publishing import claim_stale_after, enqueue_publish, share_publish_run
from ambassadors.tasks.publishing import enqueue_due_publishes, publish_due_shares, publish_share
from ambassadors.ticks.publishing import due_shares, stuck_shares
from tests.ambassadors.factories import connect_on
from tests.ambassadors.test_publishing import attempts, fresh, member, run, schedule  # noqa: F401 - fixture

__all__ = ["member"]


@pytest.fixture(autouse=True)
def _publishing_settings(settings):
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}


@pytest.fixture
def broker():
    """The publish queue in the test Redis (the broker): emptied before and after."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete("publish")
    yield client
    client.delete("publish")


def pairs(*shares: Share) -> list[tuple[int, int]]:
    return [(share.pk, share.organization_id) for share in shares]


# --- what the tick lists -------------------------------------------------------------------------------------------


def test_the_tick_lists_due_shares_of_active_organisations_only(fake_linkedin, fake_x, member, personas):
    with organization_scope(member.organization):
        linkedin = connect_on(fake_linkedin, member)
        x = connect_on(fake_x, member)
    due = schedule(member, linkedin, scheduled_at=timezone.now() - timedelta(minutes=3))
    due_x = schedule(member, x)
    schedule(member, x, scheduled_at=timezone.now() + timedelta(minutes=5))
    schedule(member, linkedin, not_before=timezone.now() + timedelta(minutes=1))
    schedule(member, linkedin, status="published")
    with organization_scope(personas.other_organization):
        from tests.factories import MembershipFactory

        other_member = MembershipFactory(organization=personas.other_organization)
        other = connect_on(fake_linkedin, other_member)
    elsewhere = schedule(other_member, other)

    assert due_shares() == pairs(due, due_x, elsewhere)

    Organization.objects.filter(pk=personas.other_organization.pk).update(is_active=False)
    assert due_shares() == pairs(due, due_x)


def test_the_tick_takes_one_share_per_account_and_skips_accounts_that_must_wait(fake_linkedin, fake_x, member):
    with organization_scope(member.organization):
        linkedin = connect_on(fake_linkedin, member)
        x = connect_on(fake_x, member)
    first = schedule(member, linkedin, scheduled_at=timezone.now() - timedelta(minutes=2))
    schedule(member, linkedin, scheduled_at=timezone.now() - timedelta(minutes=1))
    on_x = schedule(member, x)

    assert due_shares() == pairs(first, on_x)

    with organization_scope(member.organization):
        SocialConnection.objects.filter(pk=x.pk).update(rate_limited_until=timezone.now() + timedelta(minutes=5))
        SocialConnection.objects.filter(pk=linkedin.pk).update(next_publish_at=timezone.now() + timedelta(seconds=20))
    assert due_shares() == []


def test_the_tick_holds_back_a_paused_network_but_not_x_out_of_credits(fake_linkedin, fake_x, member):
    with organization_scope(member.organization):
        linkedin = connect_on(fake_linkedin, member)
        x = connect_on(fake_x, member)
    schedule(member, linkedin)
    on_x = schedule(member, x)
    ProviderPause.objects.create(provider="linkedin", kind="version")
    ProviderPause.objects.create(provider="x", kind="credits")

    assert due_shares() == pairs(on_x)


def test_the_tick_lists_shares_stuck_with_a_stale_claim(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    stale_at = timezone.now() - claim_stale_after() - timedelta(seconds=1)
    stuck = schedule(member, connection, status="publishing", claimed_at=stale_at)
    schedule(member, connection, status="publishing", claimed_at=timezone.now())

    assert stuck_shares(claimed_before=timezone.now() - claim_stale_after()) == pairs(stuck)


# --- enqueueing: once per share, on commit only ----------------------------------------------------------------------


def test_two_beat_ticks_enqueue_each_due_share_once(fake_linkedin, fake_x, member, broker):
    with organization_scope(member.organization):
        linkedin = connect_on(fake_linkedin, member)
        x = connect_on(fake_x, member)
    schedule(member, linkedin)
    schedule(member, x)

    assert publish_due_shares() == 2
    assert publish_due_shares() == 0
    # Even past the tick lock, the per-share guard keeps queued shares out.
    assert enqueue_due_publishes() == 0
    assert broker.llen("publish") == 2


def test_enqueue_publish_sends_only_when_the_transaction_commits(
    fake_linkedin, member, broker, django_capture_on_commit_callbacks
):
    """R1: a share made due in a transaction that rolls back enqueues nothing."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_publish(share)
            raise RuntimeError("rolled back")
    assert callbacks == []
    assert broker.llen("publish") == 0

    with django_capture_on_commit_callbacks(execute=True):
        enqueue_publish(share)
    assert broker.llen("publish") == 1


def test_the_same_message_delivered_twice_publishes_once(fake_linkedin, member):
    """R4: the second delivery finds the share no longer scheduled."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)

    assert run(share) == "published"
    assert run(share) == "skipped"
    assert publish_share(organization_id=share.organization_id, share_id=share.pk) == "skipped"
    assert len(fake_linkedin.requests_to("POST", "/rest/posts")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_share_make_one_call(fake_x, member):
    """The claim is a compare-and-set: of two runs started together, one publishes and the other stops."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
    share = schedule(member, connection)
    start = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        try:
            start.wait()
            with organization_scope(member.organization):
                results.append(share_publish_run(share_id=share.pk))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["published", "skipped"]
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


# --- a worker that died: the stale claim ---------------------------------------------------------------------------


def _abandoned(share: Share, *, in_flight: bool) -> None:
    """What a worker killed mid-run leaves behind: a stale claim and, if it was inside the call, an open attempt."""
    with organization_scope(share.organization):
        stale_at = timezone.now() - claim_stale_after() - timedelta(seconds=1)
        Share.objects.filter(pk=share.pk).update(status="publishing", claimed_at=stale_at)
        if in_flight:
            ShareAttempt.objects.create(organization=share.organization, share=share, number=1, started_at=stale_at)


def test_a_share_whose_worker_died_inside_the_x_call_is_reconciled_not_resent(fake_x, member):
    """R3: the post landed before the worker died; the next worker finds it instead of posting again."""
    with organization_scope(member.organization):
        connection = connect_on(fake_x, member)
        token = connection.access_token()
    share = schedule(member, connection)
    landed = get_provider("x").publish(
        access_token=token, share=ShareRequest(author_uid=connection.provider_uid, text=share.text, link=share.link)
    )
    _abandoned(share, in_flight=True)

    assert run(share) == "published"

    assert fresh(share).external_id == landed.external_id
    assert attempts(share) == [("publish", "unknown"), ("reconcile", "ok")]
    assert len(fake_x.requests_to("POST", "/2/tweets")) == 1


def test_a_share_whose_worker_died_inside_the_linkedin_call_asks_the_member(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    _abandoned(share, in_flight=True)

    assert run(share) == "needs_action"

    assert fresh(share).action_required == "check"
    assert fake_linkedin.requests_to("POST", "/rest/posts") == []


def test_a_share_whose_worker_died_before_the_call_is_published_normally(fake_linkedin, member):
    """R2: no attempt was started, so nothing can have reached the network."""
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection)
    _abandoned(share, in_flight=False)

    assert run(share) == "published"
    assert len(fake_linkedin.live_posts()) == 1


def test_a_live_claim_is_left_alone(fake_linkedin, member):
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    share = schedule(member, connection, status="publishing", claimed_at=timezone.now())

    assert run(share) == "skipped"
    assert fresh(share).status == "publishing"


# --- pacing ----------------------------------------------------------------------------------------------------------


def test_a_burst_on_one_account_is_spread_out_and_none_is_lost(fake_linkedin, member, settings):
    """Ten shares due at once on one LinkedIn account, 30 s apart at least: each round publishes one, the others
    wait in the database for the account's next slot, costing no try."""
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 30.0, "x": 10.0}
    with organization_scope(member.organization):
        connection = connect_on(fake_linkedin, member)
    shares = [schedule(member, connection) for _ in range(10)]
    start = timezone.now()

    for round_number in range(10):
        with time_machine.travel(start + timedelta(seconds=31 * round_number), tick=True):
            assert len(due_shares()) == 1
            outcomes = [run(share) for share in shares]
        assert outcomes.count("published") == 1, round_number

    shares = [fresh(share) for share in shares]
    assert {share.status for share in shares} == {"published"}
    assert {share.attempts for share in shares} == {0}
    moments = sorted(share.published_at for share in shares)
    assert all(later - earlier >= timedelta(seconds=30) for earlier, later in zip(moments, moments[1:], strict=False))
    assert len(fake_linkedin.live_posts()) == 10
