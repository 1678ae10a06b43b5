"""Metrics polling against the fake networks over real HTTP: batching, the decaying schedule, idempotent snapshots
(R11), deletions, numbers the network does not give, failures, and the organisation scope."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.metrics import (
    TRANSIENT_DELAY,
    connection_metrics_poll,
    due_shares,
    latest_snapshots,
    schedule,
    slot_at,
    slot_due_at,
)
from ambassadors.models import MetricSnapshot, Share, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.providers.base import ShareRequest
from ambassadors.tasks.metrics import poll_connection_metrics
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.content.factories import PostFactory
from tests.factories import MembershipFactory, OrganizationFactory

HOUR = 3600
VALUES = ("likes", "comments", "reshares", "impressions", "reach")


def _member(organization):
    with organization_scope(organization):
        return MembershipFactory(organization=organization)


def _connected(fake, organization, **token_options):
    membership = _member(organization)
    with organization_scope(organization):
        return connect_on(fake, membership, **token_options)


def _published(fake, connection, count, *, age=timedelta(hours=1, minutes=1)):
    """``count`` posts published on the fake through the real client, and their shares, published ``age`` ago by our
    clock and due for their first poll."""
    provider = get_provider(fake.name)
    published_at = timezone.now() - age
    with organization_scope(connection.organization):
        token = connection.access_token()
        post = PostFactory(organization=connection.organization)
        shares = []
        for number in range(count):
            text = f"Share {number} of connection {connection.pk}: proud of this one."
            remote = provider.publish(
                access_token=token, share=ShareRequest(author_uid=connection.provider_uid, text=text)
            )
            shares.append(
                ShareFactory(
                    organization=connection.organization,
                    membership=connection.membership,
                    post=post,
                    network=fake.name,
                    connection=connection,
                    text=text,
                    status=Share.Status.PUBLISHED,
                    external_id=remote.external_id,
                    published_at=published_at,
                    metrics_state=Share.MetricsState.POLLING,
                    metrics_next_poll_at=published_at + schedule()[0],
                )
            )
    return shares


def _poll(connection, **options):
    with organization_scope(connection.organization):
        connection.refresh_from_db()
        return connection_metrics_poll(connection=connection, **options)


def _lookups(fake_x):
    return [entry for entry in fake_x.requests_to("GET", "/2/tweets") if entry.path == "/2/tweets"]


def _reload(shares):
    organization = shares[0].organization
    with organization_scope(organization):
        return list(Share.objects.filter(pk__in=[share.pk for share in shares]).order_by("pk"))


def _snapshots(shares):
    with organization_scope(shares[0].organization):
        return list(MetricSnapshot.objects.filter(share__in=[share.pk for share in shares]).order_by("share", "slot"))


@pytest.fixture
def x_connection(db, fake_x):
    # Publishing 250 posts in a test goes past X's 100 posts per 15 minutes.
    fake_x.set_knob("user_window_limit", 1000)
    return _connected(fake_x, OrganizationFactory())


# --- the schedule --------------------------------------------------------------------------------------------------


def test_the_schedule_decays_from_one_hour_to_thirty_days():
    published = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert [slot_due_at(published_at=published, slot=slot) - published for slot in range(1, 7)] == [
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=24),
        timedelta(days=3),
        timedelta(days=7),
        timedelta(days=30),
    ]
    assert slot_due_at(published_at=published, slot=7) is None


def test_a_late_poll_records_the_slot_of_its_moment():
    published = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert slot_at(published_at=published, now=published + timedelta(minutes=61)) == 1
    assert slot_at(published_at=published, now=published + timedelta(hours=30)) == 3
    assert slot_at(published_at=published, now=published + timedelta(days=40)) == 6


# --- batching and idempotence --------------------------------------------------------------------------------------


def test_250_x_shares_on_one_connection_are_read_in_3_calls(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 250)
    fake_x.clock.advance(HOUR)

    result = _poll(x_connection)

    assert len(_lookups(fake_x)) == 3
    assert result.outcome == "ok" and result.snapshots == 250
    snapshots = _snapshots(shares)
    assert len(snapshots) == 250
    assert {snapshot.slot for snapshot in snapshots} == {1}
    assert all(snapshot.impressions and snapshot.impressions > 0 for snapshot in snapshots)
    assert all(snapshot.reach is None for snapshot in snapshots)  # X gives no reach: absent, not zero
    for share in _reload(shares):
        assert share.metrics_state == Share.MetricsState.POLLING
        assert share.metrics_polls == 1
        assert share.metrics_next_poll_at == share.published_at + timedelta(hours=6)


def test_a_poll_of_250_shares_runs_a_bounded_number_of_queries(fake_x, x_connection, django_assert_max_num_queries):
    _published(fake_x, x_connection, 250)
    with organization_scope(x_connection.organization):
        connection = SocialConnection.objects.get(pk=x_connection.pk)
        with django_assert_max_num_queries(8):
            result = connection_metrics_poll(connection=connection)
    assert result.snapshots == 250


def test_replaying_a_poll_in_the_same_slot_rewrites_its_rows_and_adds_none(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 250)
    fake_x.clock.advance(HOUR)
    _poll(x_connection)
    first = {snapshot.share_id: snapshot for snapshot in _snapshots(shares)}
    fake_x.clock.advance(20 * 60)
    # The fake's clock runs: stopped, so the poll and the reading compared with it see the same counters.
    fake_x.clock.freeze()
    # As if the advance of the schedule had been lost: the same shares are due again within the same slot.
    with organization_scope(x_connection.organization):
        Share.objects.filter(pk__in=[share.pk for share in shares]).update(metrics_next_poll_at=timezone.now())

    _poll(x_connection)

    replayed = _snapshots(shares)
    assert len(replayed) == 250
    assert {snapshot.slot for snapshot in replayed} == {1}
    token = x_connection.access_token()
    latest = get_provider("x").metrics(access_token=token, external_ids=[share.external_id for share in shares])
    by_external_id = {reading.external_id: reading for reading in latest}
    external_ids = {share.pk: share.external_id for share in shares}
    for snapshot in replayed:
        reading = by_external_id[external_ids[snapshot.share_id]]
        assert (snapshot.likes, snapshot.impressions) == (reading.likes, reading.impressions)
        assert snapshot.impressions >= first[snapshot.share_id].impressions
        assert snapshot.taken_at > first[snapshot.share_id].taken_at
    assert sum(snapshot.impressions for snapshot in replayed) > sum(s.impressions for s in first.values())


def test_metrics_never_decrease_across_slots_and_polling_stops_after_the_last(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 3, age=timedelta(0))
    published_at = shares[0].published_at
    elapsed = timedelta(0)
    for slot, offset in enumerate(schedule(), start=1):
        moment = offset + timedelta(minutes=1)
        fake_x.clock.advance((moment - elapsed).total_seconds())
        elapsed = moment
        # Past two hours the fake refuses the access token: each poll refreshes it once and reads again.
        assert _poll(x_connection, now=published_at + moment).snapshots == 3, slot

    snapshots = _snapshots(shares)
    for share in shares:
        rows = [snapshot for snapshot in snapshots if snapshot.share_id == share.pk]
        assert [row.slot for row in rows] == [1, 2, 3, 4, 5, 6]
        for name in ("likes", "comments", "reshares", "impressions"):
            series = [getattr(row, name) for row in rows]
            assert series == sorted(series), name
        assert rows[-1].impressions > rows[0].impressions
    for share in _reload(shares):
        assert share.metrics_state == Share.MetricsState.DONE
        assert share.metrics_next_poll_at is None
        assert share.metrics_polls == 6
    with organization_scope(x_connection.organization):
        x_connection.refresh_from_db()
        assert x_connection.status == SocialConnection.Status.ACTIVE


@pytest.mark.parametrize("new_field_names", [False, True])
def test_x_reposts_are_read_under_either_name(fake_x, x_connection, new_field_names):
    fake_x.set_knob("new_field_names", new_field_names)
    shares = _published(fake_x, x_connection, 5)
    fake_x.clock.advance(24 * HOUR)

    _poll(x_connection)

    snapshots = _snapshots(shares)
    assert len(snapshots) == 5
    assert all(snapshot.reshares is not None for snapshot in snapshots)
    assert any(snapshot.reshares > 0 for snapshot in snapshots)


# --- deletions and numbers not given -------------------------------------------------------------------------------


def test_a_post_deleted_on_the_network_is_marked_and_never_polled_again(fake_x, x_connection):
    kept, gone = _published(fake_x, x_connection, 2)
    fake_x.delete_remote(gone.external_id)
    fake_x.clock.advance(HOUR)

    result = _poll(x_connection)

    assert (result.snapshots, result.deleted) == (1, 1)
    kept, gone = _reload([kept, gone])
    assert gone.metrics_state == Share.MetricsState.DELETED
    assert gone.metrics_next_poll_at is None
    assert [snapshot.share_id for snapshot in _snapshots([kept, gone])] == [kept.pk]
    later = timezone.now() + timedelta(days=60)
    with organization_scope(x_connection.organization):
        assert list(due_shares(connection=x_connection, now=later)) == [kept]
    calls = len(_lookups(fake_x))
    with organization_scope(x_connection.organization):
        Share.objects.filter(pk=kept.pk).update(metrics_state=Share.MetricsState.DONE)
    assert _poll(x_connection, now=later).outcome == "nothing_due"
    assert len(_lookups(fake_x)) == calls


@pytest.fixture
def linkedin_connection(db, fake_linkedin):
    return _connected(fake_linkedin, OrganizationFactory())


BASIC_LINKEDIN_SCOPES = "email,openid,profile,w_member_social"


def test_a_linkedin_token_without_metrics_scopes_is_never_read(db, fake_linkedin):
    connection = _connected(fake_linkedin, OrganizationFactory(), scopes=BASIC_LINKEDIN_SCOPES)
    shares = _published(fake_linkedin, connection, 2)
    fake_linkedin.clock.advance(6 * HOUR)

    result = _poll(connection)

    assert (result.outcome, result.unavailable, result.snapshots) == ("not_granted", 2, 0)
    assert fake_linkedin.requests_to("GET", "/rest/") == []
    for share in _reload(shares):
        assert share.metrics_state == Share.MetricsState.NOT_GRANTED
        assert share.metrics_next_poll_at is None


def test_linkedin_refusing_the_metrics_permissions_is_unavailable_not_zero(db, fake_linkedin):
    connection = _connected(fake_linkedin, OrganizationFactory(), scopes=BASIC_LINKEDIN_SCOPES)
    # Stored before LinkedIn withdrew the permission from the token: the reads are refused.
    connection.metrics_granted = True
    with organization_scope(connection.organization):
        connection.save(update_fields=["metrics_granted"])
    shares = _published(fake_linkedin, connection, 2)
    fake_linkedin.clock.advance(6 * HOUR)

    result = _poll(connection)

    assert (result.outcome, result.unavailable, result.snapshots) == ("ok", 2, 0)
    for share in _reload(shares):
        assert share.metrics_state == Share.MetricsState.UNAVAILABLE
        assert share.metrics_next_poll_at is None
    assert _snapshots(shares) == []
    with organization_scope(connection.organization):
        assert latest_snapshots(shares=Share.objects.filter(pk__in=[share.pk for share in shares])) == {}
        connection.refresh_from_db()
    # Missing permissions say nothing about the account: it stays connected.
    assert connection.status == SocialConnection.Status.ACTIVE


@pytest.mark.parametrize("old_metric_type", [False, True])
def test_linkedin_analytics_give_every_number(fake_linkedin, linkedin_connection, old_metric_type):
    fake_linkedin.set_knob("old_metric_type", old_metric_type)
    shares = _published(fake_linkedin, linkedin_connection, 2)
    fake_linkedin.clock.advance(24 * HOUR)

    _poll(linkedin_connection)

    snapshots = _snapshots(shares)
    assert len(snapshots) == 2
    for snapshot in snapshots:
        assert all(getattr(snapshot, name) is not None for name in VALUES)
        assert snapshot.impressions >= snapshot.reach >= snapshot.likes > 0


def test_linkedin_social_actions_give_likes_and_comments_only(db, fake_linkedin):
    connection = _connected(fake_linkedin, OrganizationFactory(), scopes=f"{BASIC_LINKEDIN_SCOPES},r_member_social")
    shares = _published(fake_linkedin, connection, 1)
    fake_linkedin.clock.advance(24 * HOUR)

    _poll(connection)

    [snapshot] = _snapshots(shares)
    assert snapshot.likes is not None and snapshot.comments is not None
    assert (snapshot.reshares, snapshot.impressions, snapshot.reach) == (None, None, None)


# --- failures ------------------------------------------------------------------------------------------------------


def test_a_rate_limit_moves_the_next_poll_to_its_reset(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 3)
    started = fake_x.clock.now()
    # X's own window for metrics reads, used up.
    fake_x.windows[(x_connection.provider_uid, "metrics")] = (started, 5000)

    result = _poll(x_connection)

    assert (result.outcome, result.postponed) == ("wait", 3)
    reset = datetime.fromtimestamp(int(started + 15 * 60), UTC)
    assert {share.metrics_next_poll_at for share in _reload(shares)} == {reset}
    assert _snapshots(shares) == []


def test_a_transient_error_retries_a_few_minutes_later(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 3)
    fake_x.set_faults("metrics", script=[503])
    before = timezone.now()

    result = _poll(x_connection)

    assert result.outcome == "retry"
    for share in _reload(shares):
        assert before + TRANSIENT_DELAY <= share.metrics_next_poll_at <= timezone.now() + TRANSIENT_DELAY
        assert share.metrics_polls == 0
    assert _snapshots(shares) == []
    assert _poll(x_connection, now=timezone.now() + TRANSIENT_DELAY).snapshots == 3


def test_a_revoked_account_is_marked_for_reconnection_and_its_shares_wait(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 3)
    fake_x.revoke_member(x_connection.provider_uid)

    assert _poll(x_connection).outcome == "reconnect"

    with organization_scope(x_connection.organization):
        x_connection.refresh_from_db()
    assert x_connection.status == SocialConnection.Status.NEEDS_RECONNECT
    for before, after in zip(shares, _reload(shares), strict=True):
        assert after.metrics_state == Share.MetricsState.POLLING
        assert after.metrics_next_poll_at == before.metrics_next_poll_at
    assert _snapshots(shares) == []
    calls = len(_lookups(fake_x))
    assert _poll(x_connection).outcome == "not_active"
    assert len(_lookups(fake_x)) == calls


def test_the_shares_of_a_disconnected_account_stay_as_they_are(fake_x, x_connection):
    shares = _published(fake_x, x_connection, 2)
    with organization_scope(x_connection.organization):
        SocialConnection.objects.filter(pk=x_connection.pk).update(status=SocialConnection.Status.DISCONNECTED)

    assert _poll(x_connection).outcome == "not_active"

    assert [share.metrics_next_poll_at for share in _reload(shares)] == [s.metrics_next_poll_at for s in shares]
    assert _lookups(fake_x) == []


# --- the organisation scope ----------------------------------------------------------------------------------------


def test_a_poll_for_one_organisation_never_touches_another(fake_x, x_connection):
    ours = _published(fake_x, x_connection, 3)
    outsider_connection = _connected(fake_x, OrganizationFactory())
    theirs = _published(fake_x, outsider_connection, 3)
    fake_x.clock.advance(HOUR)
    organization_id = x_connection.organization_id

    polled = poll_connection_metrics.apply(
        kwargs={"organization_id": organization_id, "connection_id": x_connection.pk}
    ).get()
    # Another organisation's connection named with ours: not found in our scope, nothing read or written.
    refused = poll_connection_metrics.apply(
        kwargs={"organization_id": organization_id, "connection_id": outsider_connection.pk}
    ).get()

    assert polled["snapshots"] == 3
    assert refused == {"outcome": "missing"}
    assert len(_snapshots(ours)) == 3
    assert _snapshots(theirs) == []
    for before, after in zip(theirs, _reload(theirs), strict=True):
        assert (after.metrics_polls, after.metrics_next_poll_at) == (0, before.metrics_next_poll_at)
    assert len(_lookups(fake_x)) == 1


# --- selectors -----------------------------------------------------------------------------------------------------


def test_latest_snapshots_gives_each_share_its_last_slot_in_one_query(db, django_assert_num_queries):
    organization = OrganizationFactory()
    with organization_scope(organization):
        post = PostFactory(organization=organization)
        shares = ShareFactory.create_batch(3, organization=organization, post=post, status=Share.Status.PUBLISHED)
        now = timezone.now()
        for share, slots in zip(shares, ([1, 2, 3], [1], []), strict=True):
            for slot in slots:
                MetricSnapshot.objects.create(share=share, slot=slot, taken_at=now, likes=slot * 10)

        with django_assert_num_queries(1):
            latest = latest_snapshots(shares=shares)
        with django_assert_num_queries(1):
            from_queryset = latest_snapshots(shares=Share.objects.filter(post=post))

    assert {share_id: snapshot.slot for share_id, snapshot in latest.items()} == {shares[0].pk: 3, shares[1].pk: 1}
    assert latest[shares[0].pk].likes == 30
    assert from_queryset.keys() == latest.keys()
