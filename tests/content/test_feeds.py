"""RSS/Atom curation: feed sources and their polling, against a real HTTP server on 127.0.0.1."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from advocacy.tenancy import organization_scope
from content.feeds import (
    PollResult,
    feed_source_create,
    feed_source_delete,
    feed_source_poll,
    feed_source_update,
    normalize_url,
    url_hash,
)
from content.models import FeedSource, Suggestion
from tests.content.httpfixtures import Route, local_server, other_server  # noqa: F401 - fixtures

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml"}


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 document with (guid, link, title) items."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{guid}</guid>"
        "<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>"
        for guid, link, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Acme blog</title>'
        f"<link>https://blog.acme.test/</link><description>News</description>{entries}</channel></rss>"
    ).encode()


BLOG = rss(
    ("acme-1", "https://blog.acme.test/first", "First post"),
    ("acme-2", "https://blog.acme.test/second", "Second   post"),
)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Acme press room</title><id>urn:acme:press</id><updated>2025-02-01T09:00:00Z</updated>
  <entry><title>Results 2024</title><link href="https://press.acme.test/results-2024"/>
    <id>urn:acme:press:1</id><updated>2025-02-01T09:00:00Z</updated></entry>
  <entry><title>Relative link</title><link href="/careers/engineer"/>
    <id>urn:acme:press:2</id><updated>2025-02-02T09:00:00Z</updated></entry>
  <entry><title>Not a web link</title><link href="mailto:press@acme.test"/>
    <id>urn:acme:press:3</id><updated>2025-02-03T09:00:00Z</updated></entry>
</feed>"""


@pytest.fixture
def feed(scoped, local_server):  # noqa: F811
    """A source of the personas' organisation following the local server's /feed.xml."""

    def make(route: Route, *, path: str = "/feed.xml", max_items_per_day: int = 10) -> FeedSource:
        url = local_server.route(path, route)
        return feed_source_create(
            organization=scoped.organization,
            name=f"Feed {path}",
            url=url,
            by=scoped.editor,
            max_items_per_day=max_items_per_day,
        )

    return make


def test_an_rss_feed_puts_its_entries_in_the_inbox_as_new_suggestions(scoped, feed):
    source = feed(Route(body=BLOG, headers=RSS_TYPE))

    result = feed_source_poll(source=source)

    assert result == PollResult(new_items=2)
    items = {s.guid: s for s in Suggestion.objects.filter(source=source)}
    assert set(items) == {"acme-1", "acme-2"}
    first = items["acme-1"]
    assert first.url == "https://blog.acme.test/first"
    assert first.url_hash == url_hash("https://blog.acme.test/first")
    assert first.title == "First post"
    assert items["acme-2"].title == "Second post"
    assert first.published_at == datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    assert first.status == Suggestion.Status.NEW
    assert first.organization_id == scoped.organization.pk
    source.refresh_from_db()
    assert source.last_error == ""
    assert source.last_success_at is not None
    assert source.last_polled_at == source.last_success_at
    polled = AuditEntry.objects.filter(action="feed.polled")
    assert [entry.data for entry in polled] == [{"new_items": 2, "skipped_duplicates": 0, "skipped_over_cap": 0}]


def test_an_atom_feed_resolves_relative_links_and_skips_links_that_are_not_web_addresses(scoped, feed, local_server):  # noqa: F811
    source = feed(Route(body=ATOM, headers=ATOM_TYPE))

    result = feed_source_poll(source=source)

    assert result.new_items == 2
    urls = set(Suggestion.objects.filter(source=source).values_list("url", flat=True))
    assert urls == {"https://press.acme.test/results-2024", local_server.url("/careers/engineer")}
    assert Suggestion.objects.get(guid="urn:acme:press:1").published_at == datetime(2025, 2, 1, 9, tzinfo=UTC)


def test_the_second_poll_is_conditional_and_a_304_changes_nothing_but_the_poll_time(scoped, feed, local_server):  # noqa: F811
    def answer(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Route(status=304, headers={"ETag": '"v1"'})
        return Route(body=BLOG, headers={**RSS_TYPE, "ETag": '"v1"', "Last-Modified": "Mon, 06 Jan 2025 10:00:00 GMT"})

    source = feed(answer)
    feed_source_poll(source=source)
    source.refresh_from_db()
    assert (source.etag, source.last_modified) == ('"v1"', "Mon, 06 Jan 2025 10:00:00 GMT")
    first_success = source.last_success_at

    later = timezone.now() + timedelta(minutes=15)
    result = feed_source_poll(source=source, now=later)

    assert result == PollResult(not_modified=True)
    sent = local_server.requests[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 06 Jan 2025 10:00:00 GMT"
    assert "If-None-Match" not in local_server.requests[0].headers
    source.refresh_from_db()
    assert source.last_polled_at == later
    assert (source.etag, source.last_modified) == ('"v1"', "Mon, 06 Jan 2025 10:00:00 GMT")
    assert source.last_success_at >= first_success
    assert Suggestion.objects.filter(source=source).count() == 2
    assert AuditEntry.objects.filter(action="feed.polled").count() == 1


BROKEN = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Oops</title><item><title>cut'


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        (Route(body=BROKEN, headers=RSS_TYPE), "This address does not return a valid RSS or Atom feed: "),
        (
            Route(
                body=b'<?xml version="1.0"?><catalog><book>Dune</book></catalog>', headers={"Content-Type": "text/xml"}
            ),
            "This address does not return a valid RSS or Atom feed: the document has no RSS or Atom root element",
        ),
        (Route(body=b"<html><body>Our blog</body></html>"), "The link returned text/html"),
        (Route(status=500, body=b"boom", headers=RSS_TYPE), "The feed server answered with HTTP status 500."),
    ],
    ids=["malformed-xml", "xml-but-not-a-feed", "html-page", "server-error"],
)
def test_a_broken_feed_is_listed_as_failing_with_its_error_and_creates_nothing(scoped, feed, route, expected):
    source = feed(route)

    result = feed_source_poll(source=source)

    assert result.error.startswith(expected)
    assert result.new_items == 0
    source.refresh_from_db()
    assert source.last_error_message == result.error
    assert source.last_polled_at is not None
    assert source.last_success_at is None
    assert not Suggestion.objects.filter(source=source).exists()
    assert not AuditEntry.objects.filter(action="feed.polled").exists()


def test_the_feed_error_is_written_in_the_organisation_language_whatever_the_worker_language(scoped, feed):
    scoped.organization.language = "fr"
    scoped.organization.save(update_fields=["language"])
    source = feed(Route(body=BROKEN, headers=RSS_TYPE))

    with translation.override("en"):
        result = feed_source_poll(source=source)

    assert (
        result.error
        == "Cette adresse ne renvoie pas un flux RSS ou Atom valide : ligne 1, colonne 101 : no element found"
    )


def test_an_address_the_fetcher_refuses_is_stored_as_the_error(scoped, other_server):  # noqa: F811
    # The second server is not allow-listed: to the fetcher it is an odd port on a loopback address.
    source = feed_source_create(
        organization=scoped.organization, name="Intranet", url=other_server.url("/feed.xml"), by=scoped.editor
    )

    result = feed_source_poll(source=source)

    assert result.error
    source.refresh_from_db()
    assert source.last_error_message == result.error
    assert other_server.requests == []


def test_a_recovered_feed_clears_its_error(scoped, feed, local_server):  # noqa: F811
    source = feed(Route(status=500, headers=RSS_TYPE))
    feed_source_poll(source=source)
    local_server.route("/feed.xml", Route(body=BLOG, headers=RSS_TYPE))

    result = feed_source_poll(source=source)

    assert result.new_items == 2
    source.refresh_from_db()
    assert source.last_error == ""


def test_feedparser_never_reads_a_file_or_an_address_named_by_the_body(scoped, feed, local_server, tmp_path):  # noqa: F811
    # feedparser.parse() opens a str or bytes argument as a URL or a local file name.
    local_file = tmp_path / "feed.xml"
    local_file.write_bytes(BLOG)
    local_server.route("/other.xml", Route(body=BLOG, headers=RSS_TYPE))
    by_path = feed(Route(body=str(local_file).encode(), headers=RSS_TYPE), path="/by-path.xml")
    by_url = feed(Route(body=local_server.url("/other.xml").encode(), headers=RSS_TYPE), path="/by-url.xml")

    assert feed_source_poll(source=by_path).error
    assert feed_source_poll(source=by_url).error

    assert not Suggestion.objects.exists()
    assert "/other.xml" not in [request.path for request in local_server.requests]


def test_entries_are_deduplicated_by_guid_across_polls_even_when_their_link_changes(scoped, feed, local_server):  # noqa: F811
    source = feed(Route(body=BLOG, headers=RSS_TYPE))
    feed_source_poll(source=source)
    local_server.route(
        "/feed.xml",
        Route(
            body=rss(
                ("acme-1", "https://blog.acme.test/first-renamed", "First post"),
                ("acme-2", "https://blog.acme.test/second", "Second post"),
                ("acme-3", "https://blog.acme.test/third", "Third post"),
            ),
            headers=RSS_TYPE,
        ),
    )

    result = feed_source_poll(source=source)

    assert result == PollResult(new_items=1, skipped_duplicates=2)
    assert sorted(Suggestion.objects.values_list("guid", flat=True)) == ["acme-1", "acme-2", "acme-3"]


def test_an_entry_already_suggested_by_a_member_or_another_feed_is_not_added_twice(scoped, feed, local_server):  # noqa: F811
    shared = "https://Blog.Acme.test:443/first?utm_source=linkedin#top"
    Suggestion.objects.create(
        url=shared, url_hash=url_hash(shared), title="Great article", suggested_by=scoped.ambassador
    )
    press = feed(Route(body=rss(("p-2", "https://blog.acme.test/second", "Second post")), headers=RSS_TYPE))
    feed_source_poll(source=press)
    blog = feed(Route(body=BLOG, headers=RSS_TYPE), path="/blog.xml")

    result = feed_source_poll(source=blog)

    assert result == PollResult(new_items=0, skipped_duplicates=2)
    assert Suggestion.objects.count() == 2


def test_url_normalisation_ignores_case_default_ports_fragments_and_tracking_parameters():
    assert normalize_url("HTTPS://Blog.Acme.test:443/a?utm_medium=rss&id=3#x") == "https://blog.acme.test/a?id=3"
    assert normalize_url("http://blog.acme.test") == "http://blog.acme.test/"
    assert url_hash("http://blog.acme.test:8080/a") != url_hash("http://blog.acme.test/a")


def test_at_most_max_items_per_day_are_added_per_source_in_a_rolling_day(scoped, feed):
    items = [(f"g{n}", f"https://blog.acme.test/{n}", f"Post {n}") for n in range(5)]
    source = feed(Route(body=rss(*items), headers=RSS_TYPE), max_items_per_day=2)

    first = feed_source_poll(source=source)
    again = feed_source_poll(source=source, now=timezone.now() + timedelta(hours=1))
    next_day = feed_source_poll(source=source, now=timezone.now() + timedelta(hours=25))

    assert first == PollResult(new_items=2, skipped_over_cap=3)
    assert again == PollResult(new_items=0, skipped_duplicates=2, skipped_over_cap=3)
    assert next_day == PollResult(new_items=2, skipped_duplicates=2, skipped_over_cap=1)
    # Feed order is kept: the publisher's newest entries first.
    assert sorted(Suggestion.objects.values_list("guid", flat=True)) == ["g0", "g1", "g2", "g3"]


def test_two_organisations_following_one_feed_each_get_their_own_items(personas, local_server):  # noqa: F811
    url = local_server.route("/feed.xml", Route(body=BLOG, headers=RSS_TYPE))
    with organization_scope(personas.organization):
        acme = feed_source_create(organization=personas.organization, name="Blog", url=url, by=personas.editor)
        assert feed_source_poll(source=acme).new_items == 2
        acme_ids = set(Suggestion.objects.values_list("pk", flat=True))
    with organization_scope(personas.other_organization):
        globex = feed_source_create(
            organization=personas.other_organization, name="Acme blog", url=url, by=personas.outsider
        )
        assert feed_source_poll(source=globex).new_items == 2
        globex_ids = set(Suggestion.objects.values_list("pk", flat=True))
        assert list(FeedSource.objects.values_list("pk", flat=True)) == [globex.pk]
        assert not AuditEntry.objects.filter(object_id=str(acme.pk), action__startswith="feed.").exists()

    assert len(globex_ids) == 2
    assert globex_ids.isdisjoint(acme_ids)


def test_creating_a_source_records_who_and_audits_it(scoped):
    source = feed_source_create(
        organization=scoped.organization, name=" Careers ", url="https://jobs.acme.test/rss", by=scoped.editor
    )

    assert (source.name, source.max_items_per_day, source.created_by) == ("Careers", 10, scoped.editor)
    entry = AuditEntry.objects.get(action="feed.created")
    assert (entry.actor, entry.object_id) == (scoped.editor, str(source.pk))


@pytest.mark.parametrize(
    "url", ["ftp://acme.test/feed", "javascript:alert(1)", "file:///etc/passwd", "blog.acme.test/rss", ""]
)
def test_only_web_addresses_can_be_followed(scoped, url):
    with pytest.raises(ServiceError) as error:
        feed_source_create(organization=scoped.organization, name="Feed", url=url, by=scoped.editor)

    assert error.value.field == "url"
    assert not FeedSource.objects.exists()


def test_a_feed_address_is_followed_once_per_organisation(personas):
    url = "https://blog.acme.test/rss"
    with organization_scope(personas.organization):
        feed_source_create(organization=personas.organization, name="Blog", url=url, by=personas.editor)
        with pytest.raises(ServiceError) as error:
            feed_source_create(organization=personas.organization, name="Blog again", url=url, by=personas.editor)
        assert error.value.field == "url"
    with organization_scope(personas.other_organization):
        feed_source_create(organization=personas.other_organization, name="Blog", url=url, by=personas.outsider)


@pytest.mark.parametrize("cap", [0, 101, "5", True])
def test_the_daily_cap_must_be_a_sensible_number(scoped, cap):
    with pytest.raises(ServiceError) as error:
        feed_source_create(
            organization=scoped.organization, name="F", url="https://a.test/", by=scoped.editor, max_items_per_day=cap
        )

    assert error.value.field == "max_items_per_day"


def test_changing_the_address_forgets_the_old_validators_and_error(scoped):
    source = feed_source_create(organization=scoped.organization, name="Blog", url="https://a.test/", by=scoped.editor)
    FeedSource.objects.filter(pk=source.pk).update(etag='"x"', last_modified="yesterday", last_error="broken")
    source.refresh_from_db()

    feed_source_update(source=source, by=scoped.editor, url="https://b.test/rss", max_items_per_day=3)

    source.refresh_from_db()
    assert (source.url, source.max_items_per_day) == ("https://b.test/rss", 3)
    assert (source.etag, source.last_modified, source.last_error) == ("", "", "")
    assert AuditEntry.objects.get(action="feed.updated").data == {"fields": ["max_items_per_day", "url"]}


def test_an_update_cannot_take_another_sources_address(scoped):
    feed_source_create(organization=scoped.organization, name="A", url="https://a.test/", by=scoped.editor)
    other = feed_source_create(organization=scoped.organization, name="B", url="https://b.test/", by=scoped.editor)

    with pytest.raises(ServiceError) as error:
        feed_source_update(source=other, by=scoped.editor, url="https://a.test/")

    assert error.value.field == "url"
    other.refresh_from_db()
    assert other.url == "https://b.test/"


def test_deactivating_and_deleting_a_source(scoped, feed):
    source = feed(Route(body=BLOG, headers=RSS_TYPE))
    feed_source_poll(source=source)

    feed_source_update(source=source, by=scoped.editor, active=False)
    assert FeedSource.objects.get(pk=source.pk).active is False

    feed_source_delete(source=source, by=scoped.editor)

    assert not FeedSource.objects.exists()
    assert AuditEntry.objects.get(action="feed.deleted").data["name"] == "Feed /feed.xml"
