"""``/r/<code>`` over real HTTP (the site's WSGI entry on a socket): the 302 goes only to the stored destination
(W1), unknown and malformed codes get one branded 404, withdrawn posts and deactivated organisations stop
redirecting, and every click is kept — through the Redis stream and the flusher, or directly when Redis is down.
Robots, link previews, HEAD and prefetches are stored with their reason and never counted."""

import os
import subprocess
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from analytics.clicks import flush_stream
from analytics.models import Click, TrackedLink, VisitorKey
from analytics.tasks import forget_past_visitors
from content.models import Post
from tests.analytics.conftest import BROWSER, call, free_port, get, make_tracked
from tests.celery_processes import REPO, database_url

pytestmark = pytest.mark.django_db(transaction=True)

PARIS = ZoneInfo("Europe/Paris")


def stored(organization) -> list[Click]:
    with organization_scope(organization):
        return list(Click.objects.order_by("clicked_at", "event_id"))


def counters(link: TrackedLink) -> tuple[int, int, int]:
    with organization_scope(link.organization):
        link.refresh_from_db()
    return link.clicks, link.unique_clicks, link.filtered_clicks


def test_a_click_is_redirected_to_the_stored_destination_and_stored_once(link_server, tracked):
    response = get(link_server, f"/r/{tracked.link.code}", Referer="https://www.linkedin.com/feed/update/123")

    assert response.status_code == 302
    assert response.headers["Location"] == tracked.link.destination
    assert response.headers["Cache-Control"] == "no-store"
    assert tracked.link.destination.startswith("https://news.example.test/q3?lang=fr&utm_source=linkedin")
    assert "utm_medium=employee_advocacy" in tracked.link.destination

    flush_stream(claim_idle_seconds=0)
    [click] = stored(tracked.organization)
    assert (click.link_id, click.share_id, click.membership_id, click.post_id) == (
        tracked.link.pk,
        tracked.share.pk,
        tracked.membership.pk,
        tracked.post.pk,
    )
    assert click.network == "linkedin" and click.filtered == "" and click.first_of_day
    assert click.referrer_host == "www.linkedin.com"
    assert counters(tracked.link) == (1, 1, 0)


def test_nothing_in_the_request_chooses_the_destination(link_server, tracked):
    code = tracked.link.code
    for path in (f"/r/{code}?url=https://evil.example/", f"/r/{code}?next=//evil.example", f"/r/{code}/"):
        response = get(link_server, path, Host="evil.example")
        assert response.status_code == 302
        assert response.headers["Location"] == tracked.link.destination


@pytest.mark.parametrize(
    "path",
    [
        "/r/AAAAAAAA",
        "/r/abc",
        "/r/" + "a" * 2000,
        "/r/..%2Fadmin",
        "/r/aaaa%2Faaa",
        "/r/",
        "/r/aaaaaaa%00",
    ],
)
def test_unknown_and_malformed_codes_answer_the_same_branded_404(link_server, tracked, path):
    response = get(link_server, path)
    reference = get(link_server, "/r/ZZZZZZZZ")

    assert response.status_code == 404
    assert response.content == reference.content
    assert "This link does not exist" in response.text and "Relais" in response.text
    assert "Location" not in response.headers


def test_the_404_speaks_the_readers_language(link_server, transactional_db):
    response = get(link_server, "/r/ZZZZZZZZ", **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 404
    assert "Ce lien n’existe pas" in response.text and 'lang="fr"' in response.text


def test_a_malformed_code_costs_no_query_and_an_unknown_one_a_single_lookup(tracked):
    with CaptureQueriesContext(connection) as malformed:
        assert call("/r/" + "x" * 2000)[0] == "404 Not Found"
        assert call("/r/abc")[0] == "404 Not Found"
    with CaptureQueriesContext(connection) as unknown:
        assert call("/r/ZZZZZZZZ")[0] == "404 Not Found"
    with CaptureQueriesContext(connection) as again:
        assert call("/r/ZZZZZZZZ")[0] == "404 Not Found"

    assert len(malformed) == 0
    assert len(unknown) == 1
    assert len(again) == 0


def test_a_known_link_is_read_once_then_served_from_the_caches(tracked, settings):
    settings.RELAIS_CLICKS_REDIS_URL = ""
    code = tracked.link.code
    call(f"/r/{code}")
    with CaptureQueriesContext(connection) as again:
        assert call(f"/r/{code}")[0] == "302 Found"
    reads = [query["sql"] for query in again if query["sql"].lstrip().upper().startswith("SELECT")]
    assert reads == [], "only the click itself is written"


def test_head_is_redirected_and_stored_but_never_counted(link_server, tracked):
    response = requests.head(f"{link_server.url}/r/{tracked.link.code}", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"] == tracked.link.destination

    flush_stream(claim_idle_seconds=0)
    assert [click.filtered for click in stored(tracked.organization)] == ["head"]
    assert counters(tracked.link) == (0, 0, 1)


PREVIEWS_AND_ROBOTS = [
    ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "preview"),
    ("Twitterbot/1.0", "preview"),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "preview"),
    ("Slack-ImgProxy (+https://api.slack.com/robots)", "preview"),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "preview"),
    ("WhatsApp/2.23.20.0 A", "preview"),
    ("TelegramBot (like TwitterBot)", "preview"),
    ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "preview"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot"),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "bot",
    ),
    ("python-requests/2.32.5", "bot"),
    ("curl/8.5.0", "bot"),
    ("", "bot"),
]


@pytest.mark.parametrize(("user_agent", "reason"), PREVIEWS_AND_ROBOTS)
def test_previews_and_robots_are_redirected_stored_with_their_reason_and_not_counted(
    link_server, tracked, user_agent, reason
):
    response = get(link_server, f"/r/{tracked.link.code}", **{"User-Agent": user_agent})
    assert response.status_code == 302

    flush_stream(claim_idle_seconds=0)
    [click] = stored(tracked.organization)
    assert click.filtered == reason and not click.first_of_day
    assert counters(tracked.link) == (0, 0, 1)


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Purpose": "prefetch"}, {"Sec-Purpose": "prefetch;prerender"}, {"Purpose": "prefetch"}],
)
def test_browser_prefetches_are_stored_and_not_counted(link_server, tracked, headers):
    assert get(link_server, f"/r/{tracked.link.code}", **headers).status_code == 302

    flush_stream(claim_idle_seconds=0)
    assert [click.filtered for click in stored(tracked.organization)] == ["prefetch"]
    assert counters(tracked.link) == (0, 0, 1)


def test_a_withdrawn_post_stops_redirecting_once_the_caches_expire(link_server, tracked, settings):
    settings.RELAIS_LINK_CACHE_SECONDS = 1
    code = tracked.link.code
    assert get(link_server, f"/r/{code}").status_code == 302
    with organization_scope(tracked.organization):
        Post.objects.filter(pk=tracked.post.pk).update(status=Post.Status.WITHDRAWN)

    time.sleep(1.2)
    response = get(link_server, f"/r/{code}")
    assert response.status_code == 410
    assert "This link is no longer available" in response.text
    assert "Location" not in response.headers and tracked.link.destination not in response.text


def test_a_deactivated_organisation_stops_redirecting(link_server, tracked):
    Organization.objects.filter(pk=tracked.organization.pk).update(is_active=False)
    assert get(link_server, f"/r/{tracked.link.code}").status_code == 410


def test_a_withdrawal_is_seen_within_a_minute(settings):
    """A post's state (withdrawn, its organisation active) is read again after this long in each process, and is
    never kept in the shared cache."""
    from advocacy.settings import base

    assert base.RELAIS_LINK_CACHE_SECONDS <= 60


@pytest.mark.tenancy
def test_each_organisations_clicks_stay_its_own(link_server, tracked):
    other = make_tracked()
    assert get(link_server, f"/r/{other.link.code}").status_code == 302
    flush_stream(claim_idle_seconds=0)

    assert stored(tracked.organization) == []
    assert [click.organization_id for click in stored(other.organization)] == [other.organization.pk]
    with organization_scope(tracked.organization):
        assert not TrackedLink.objects.filter(pk=other.link.pk).exists()


def test_one_visitor_clicking_500_times_is_one_unique_click_and_500_rows(tracked):
    for _ in range(500):
        assert call(f"/r/{tracked.link.code}", REMOTE_ADDR="198.51.100.20")[0] == "302 Found"
    call(f"/r/{tracked.link.code}", REMOTE_ADDR="198.51.100.21")

    flush_stream(claim_idle_seconds=0)
    rows = stored(tracked.organization)
    assert len(rows) == 501
    assert sum(row.first_of_day for row in rows) == 2
    assert counters(tracked.link) == (501, 2, 0)


def test_a_visitor_is_unique_once_a_day_and_the_days_key_is_then_destroyed(tracked):
    code = tracked.link.code
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=PARIS), tick=True):
        call(f"/r/{code}", REMOTE_ADDR="198.51.100.20")
        call(f"/r/{code}", REMOTE_ADDR="198.51.100.20")
        flush_stream(claim_idle_seconds=0)
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=PARIS), tick=True):
        call(f"/r/{code}", REMOTE_ADDR="198.51.100.20")
        flush_stream(claim_idle_seconds=0)
        forget_past_visitors()

    first, second, next_day = stored(tracked.organization)
    assert (first.first_of_day, second.first_of_day, next_day.first_of_day) == (True, False, True)
    assert first.visitor_hash == second.visitor_hash != next_day.visitor_hash
    assert counters(tracked.link) == (3, 2, 0)
    with organization_scope(tracked.organization):
        assert list(VisitorKey.objects.values_list("day", flat=True)) == [datetime(2026, 12, 3).date()]


def test_no_column_of_any_table_holds_an_ip_address(tracked):
    address = "203.0.113.77"
    call(f"/r/{tracked.link.code}", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=address)
    flush_stream(claim_idle_seconds=0)

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        suspicious = []
        for table in tables:
            for column in connection.introspection.get_table_description(cursor, table):
                name = column.name.lower()
                kind = str(getattr(column, "type_code", "")).lower()
                if name in {"ip", "ip_address", "remote_addr", "client_ip", "ipaddress"} or "inet" in kind:
                    suspicious.append(f"{table}.{column.name}")
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                        [table, column.name],
                    )
                    if (cursor.fetchone() or [""])[0] in {"inet", "cidr"}:
                        suspicious.append(f"{table}.{column.name}")
    assert suspicious == []
    [click] = stored(tracked.organization)
    assert address not in " ".join(str(value) for value in vars(click).values())


def test_without_redis_the_click_is_written_directly(link_server, tracked, settings):
    settings.RELAIS_CLICKS_REDIS_URL = ""
    assert get(link_server, f"/r/{tracked.link.code}").status_code == 302
    assert len(stored(tracked.organization)) == 1
    assert counters(tracked.link) == (1, 1, 0)


def test_redis_stopped_the_link_host_still_redirects_and_keeps_the_click(tracked, local_redis, tmp_path):
    """The links service as production runs it: gunicorn, production settings, a Redis of this test's own, which
    the test then stops."""
    if connection.vendor != "postgresql":
        pytest.skip("a server process cannot share pytest's SQLite test database")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.prod",
        "SECRET_KEY": "links-host-test-" + "k" * 48,
        "DATABASE_URL": database_url(),
        "REDIS_URL": local_redis.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "RELAIS_TOKEN_KEYS": "2qTLv0d3T5m8bX9Vv3fB2kq0nO1mGk2mJ4yq5Q8hX2o=",
    }
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "analytics.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    with log.open("w") as output:
        server = subprocess.Popen(command + ["--workers", "1"], cwd=REPO, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert time.monotonic() < deadline and server.poll() is None, log.read_text()
            time.sleep(0.1)
        path = f"/r/{tracked.link.code}"
        headers = {"User-Agent": BROWSER}

        assert requests.get(base + path, headers=headers, allow_redirects=False, timeout=5).status_code == 302
        assert local_redis.client().xlen("relais:clicks") == 1
        assert stored(tracked.organization) == []

        local_redis.stop()
        response = requests.get(base + path, headers=headers, allow_redirects=False, timeout=5)
        assert response.status_code == 302 and response.headers["Location"] == tracked.link.destination
        assert len(stored(tracked.organization)) == 1
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_pages_bring_a_policy_without_scripts_and_only_their_hashed_style(link_server, transactional_db):
    response = get(link_server, "/r/ZZZZZZZZ")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; style-src 'sha256-")
    assert "<script" not in response.text and " style=" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
