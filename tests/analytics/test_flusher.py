"""The flusher: a batch written twice is stored once, entries a dead flusher left pending are claimed again, and —
with a real Celery worker killed (SIGKILL) after its commit and before its acknowledgement — a new worker stores
every click exactly once."""

import signal
import socket
import subprocess
import threading
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis
from django.db import connection

from advocacy.tenancy import organization_scope
from analytics.clicks import GROUP, ClickEvent, flush_stream, new_event_id, record, store_clicks
from analytics.models import Click, TrackedLink
from analytics.tasks import flush_clicks
from tests.analytics.conftest import call, make_tracked
from tests.celery_processes import database_url, start_worker, stopped_at_exit

pytestmark = pytest.mark.django_db(transaction=True)

STREAM = "relais:clicks"


def event(
    tracked, *, visitor: str = "a" * 32, filtered: str = "", at: datetime | None = None, key: str = ""
) -> ClickEvent:
    moment = at or datetime.now(UTC)
    return ClickEvent(
        event_id=key or new_event_id(moment),
        organization_id=tracked.organization.pk,
        link_id=tracked.link.pk,
        share_id=tracked.share.pk,
        membership_id=tracked.membership.pk,
        post_id=tracked.post.pk,
        network="linkedin",
        clicked_at=moment,
        day=moment.date(),
        referrer_host="t.co",
        visitor_hash=visitor,
        filtered=filtered,
    )


def rows(tracked) -> list[Click]:
    with organization_scope(tracked.organization):
        return list(Click.objects.order_by("clicked_at", "event_id"))


def counters(tracked) -> tuple[int, int, int]:
    with organization_scope(tracked.organization):
        link = TrackedLink.objects.get(pk=tracked.link.pk)
    return link.clicks, link.unique_clicks, link.filtered_clicks


def test_a_batch_written_twice_is_stored_once_and_counted_once(transactional_db):
    tracked = make_tracked()
    now = datetime.now(UTC)
    batch = [
        event(tracked, at=now, key="1764680000000-0"),
        event(tracked, at=now + timedelta(seconds=1), key="1764680000000-1"),
        event(tracked, visitor="b" * 32, at=now + timedelta(seconds=2), key="1764680000001-0"),
        event(tracked, filtered="preview", at=now + timedelta(seconds=3), key="1764680000002-0"),
    ]
    assert store_clicks(batch) == 4
    assert store_clicks(batch) == 0
    assert store_clicks(batch[1:] + [event(tracked, at=now + timedelta(seconds=4), key="1764680000003-0")]) == 1

    stored = rows(tracked)
    assert len(stored) == 5
    assert [row.first_of_day for row in stored] == [True, False, True, False, False]
    assert counters(tracked) == (4, 2, 1)


def test_the_flusher_drains_the_stream_and_acknowledges_after_writing(transactional_db, settings):
    tracked = make_tracked()
    for visitor in ("a", "b", "a"):
        record(event(tracked, visitor=visitor * 32))
    client = redis.Redis.from_url(settings.RELAIS_CLICKS_REDIS_URL)
    assert client.xlen(STREAM) == 3

    result = flush_clicks()
    assert (result["read"], result["stored"]) == (3, 3)
    assert client.xlen(STREAM) == 0 and client.xpending(STREAM, GROUP)["pending"] == 0
    assert counters(tracked) == (3, 2, 0)


def test_entries_a_dead_flusher_left_pending_are_claimed_by_the_next(transactional_db, local_redis):
    tracked = make_tracked()
    for _ in range(5):
        record(event(tracked))
    client = local_redis.client()
    client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    # A flusher read them, then died before writing.
    assert len(client.xreadgroup(GROUP, "dead-flusher", {STREAM: ">"}, count=100)[0][1]) == 5

    assert flush_stream(claim_idle_seconds=60).stored == 0
    result = flush_stream(claim_idle_seconds=0)

    assert (result.claimed, result.stored) == (5, 5)
    assert client.xpending(STREAM, GROUP)["pending"] == 0
    assert len(rows(tracked)) == 5


def test_an_unreadable_entry_is_dropped_rather_than_blocking_the_stream(transactional_db, local_redis):
    tracked = make_tracked()
    client = local_redis.client()
    client.xadd(STREAM, {"e": "not json"})
    client.xadd(STREAM, {"other": "field"})
    record(event(tracked))

    result = flush_stream(claim_idle_seconds=0)
    assert (result.read, result.stored, result.dropped) == (3, 1, 2)
    assert client.xlen(STREAM) == 0


# --- A real worker killed between commit and acknowledgement --------------------------------------------------------


def _start_worker(tmp_path, redis_url: str, name: str, **extra: str) -> subprocess.Popen:
    hostname = f"relais-clicks-{name}-{uuid.uuid4().hex[:6]}@localhost"
    env = {"RELAIS_CLICKS_REDIS_URL": redis_url, **extra}
    return start_worker(hostname, log=tmp_path / f"{name}.log", queues="clicks", env=env)


def _wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _count_clicks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_click")
        return int(cursor.fetchone()[0])


@pytest.mark.worker
def test_a_flusher_killed_after_its_commit_and_before_its_acknowledgement_loses_and_doubles_nothing(
    transactional_db, local_redis, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process cannot share pytest's SQLite test database")
    tracked = make_tracked()
    sent = 120
    for number in range(sent):
        call(f"/r/{tracked.link.code}", REMOTE_ADDR=f"198.51.100.{number % 7}")
    client = local_redis.client()
    assert client.xlen(STREAM) == sent

    locker = psycopg.connect(database_url().replace("postgres://", "postgresql://", 1))
    # The lock goes first: a worker stopped while its insert waits behind it would never finish.
    with stopped_at_exit() as workers, closing(locker):
        # The first flusher's insert waits behind this lock: it has read its batch, and writes when released.
        locker.execute("LOCK TABLE analytics_click IN EXCLUSIVE MODE")
        first = _start_worker(tmp_path, local_redis.url, "first")
        workers.append(first)
        flush_clicks.delay()

        def inserting() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'INSERT INTO analytics_click%%'"
                )
                return bool(cursor.fetchone()[0])

        _wait(inserting, "the flusher's insert")
        # Its acknowledgement will wait: writes to the stream's Redis are paused, reads are not.
        client.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        locker.rollback()
        _wait(lambda: _count_clicks() == sent, "the flusher's commit")
        time.sleep(0.3)
        assert client.xpending(STREAM, GROUP)["pending"] == sent

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        client.execute_command("CLIENT", "UNPAUSE")
        assert client.xpending(STREAM, GROUP)["pending"] == sent

        second = _start_worker(tmp_path, local_redis.url, "second", RELAIS_CLICKS_CLAIM_IDLE_SECONDS="0")
        workers.append(second)
        flush_clicks.delay()
        _wait(lambda: client.xlen(STREAM) == 0, "the second flusher")

        assert client.xpending(STREAM, GROUP)["pending"] == 0
        stored = rows(tracked)
        assert len(stored) == sent and len({row.event_id for row in stored}) == sent
        assert counters(tracked) == (sent, 7, 0)


class SlowAnswers:
    """A TCP relay in front of a Redis whose answers it can hold back: Redis runs each command at once, its client
    hears of it only ``delay`` seconds later — the network failing just after Redis kept a click."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, answers: bool) -> None:
        try:
            while data := source.recv(65536):
                if answers and self.delay:
                    time.sleep(self.delay)
                target.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            target.close()

    def close(self) -> None:
        self.server.close()


def test_a_click_redis_kept_while_its_answer_was_lost_is_stored_once(transactional_db, local_redis, settings):
    tracked = make_tracked()
    relay = SlowAnswers(local_redis.port)
    settings.RELAIS_CLICKS_REDIS_URL = f"redis://127.0.0.1:{relay.port}/0"
    try:
        assert call(f"/r/{tracked.link.code}")[0] == "302 Found"
        relay.delay = 1.0
        # The XADD reaches Redis; its answer does not come within the client's timeout: the click is written directly.
        assert call(f"/r/{tracked.link.code}")[0] == "302 Found"
    finally:
        relay.close()
    client = local_redis.client()
    assert client.xlen(STREAM) == 2 and len(rows(tracked)) == 1

    settings.RELAIS_CLICKS_REDIS_URL = local_redis.url
    assert flush_stream(claim_idle_seconds=0).stored == 1
    assert len(rows(tracked)) == 2 and counters(tracked) == (2, 1, 0)
