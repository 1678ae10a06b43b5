"""The cross-tenant feed tick and the per-source poll task, against a real HTTP server on 127.0.0.1."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from advocacy.celery import app as celery_app
from advocacy.tenancy import organization_scope
from content.feeds import feed_source_create
from content.models import FeedSource, Suggestion
from content.tasks import poll_due_feeds, poll_feed_source
from content.ticks import due_feed_sources
from tests.content.httpfixtures import Route, local_server  # noqa: F401 - fixture

RSS_TYPE = {"Content-Type": "application/rss+xml"}


def rss(prefix: str) -> bytes:
    items = "".join(
        f"<item><title>{prefix} {n}</title><link>https://news.test/{prefix}/{n}</link>"
        f"<guid isPermaLink='false'>{prefix}-{n}</guid></item>"
        for n in (1, 2)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://news.test/</link>'
        f"<description>News</description>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def eager_celery():
    """Tasks enqueued by the tick run in this process, so the test sees their effect."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


def _source(organization, user, url, *, name="Feed", polled_minutes_ago=None, active=True) -> FeedSource:
    with organization_scope(organization):
        source = feed_source_create(organization=organization, name=name, url=url, by=user)
        polled_at = None if polled_minutes_ago is None else timezone.now() - timedelta(minutes=polled_minutes_ago)
        FeedSource.objects.filter(pk=source.pk).update(last_polled_at=polled_at, active=active)
    return source


def test_the_tick_lists_due_sources_of_every_organisation_and_nothing_else(personas):
    acme, globex = personas.organization, personas.other_organization
    never = _source(acme, personas.editor, "https://a.test/never", name="never")
    stale = _source(acme, personas.editor, "https://a.test/stale", name="stale", polled_minutes_ago=20)
    _source(acme, personas.editor, "https://a.test/fresh", name="fresh", polled_minutes_ago=5)
    _source(acme, personas.editor, "https://a.test/off", name="off", polled_minutes_ago=60, active=False)
    other = _source(globex, personas.outsider, "https://g.test/feed", polled_minutes_ago=16)

    due = due_feed_sources()

    assert due == [(never.pk, acme.pk), (stale.pk, acme.pk), (other.pk, globex.pk)]


def test_the_tick_skips_organisations_that_are_switched_off(personas):
    _source(personas.other_organization, personas.outsider, "https://g.test/feed")
    personas.other_organization.is_active = False
    personas.other_organization.save(update_fields=["is_active"])

    assert due_feed_sources() == []


def test_the_tick_polls_each_source_in_its_own_organisation_and_a_broken_feed_stops_nothing(
    personas,
    local_server,  # noqa: F811
    eager_celery,
):
    acme, globex = personas.organization, personas.other_organization
    broken = _source(acme, personas.editor, local_server.route("/broken.xml", status=500, headers=RSS_TYPE))
    acme_feed = _source(acme, personas.editor, local_server.route("/acme.xml", body=rss("acme"), headers=RSS_TYPE))
    globex_feed = _source(
        globex, personas.outsider, local_server.route("/globex.xml", body=rss("globex"), headers=RSS_TYPE)
    )

    assert poll_due_feeds.apply().get() == 3

    with organization_scope(acme):
        assert sorted(Suggestion.objects.values_list("guid", flat=True)) == ["acme-1", "acme-2"]
        assert set(Suggestion.objects.values_list("source_id", flat=True)) == {acme_feed.pk}
        assert (
            FeedSource.objects.get(pk=broken.pk).last_error_message == "The feed server answered with HTTP status 500."
        )
    with organization_scope(globex):
        assert sorted(Suggestion.objects.values_list("guid", flat=True)) == ["globex-1", "globex-2"]
        assert FeedSource.objects.get(pk=globex_feed.pk).last_error == ""
    assert due_feed_sources() == []


def test_a_second_beat_message_right_after_the_first_enqueues_nothing(personas, eager_celery):
    assert poll_due_feeds.apply().get() == 0
    _source(personas.organization, personas.editor, "https://a.test/feed")

    assert poll_due_feeds.apply().get() == 0


def test_the_poll_task_stores_a_broken_feed_error_instead_of_raising(personas, local_server, eager_celery):  # noqa: F811
    url = local_server.route("/feed.xml", body=b"<html>not a feed</html>")
    source = _source(personas.organization, personas.editor, url)

    result = poll_feed_source.apply(kwargs={"organization_id": personas.organization.pk, "source_id": source.pk})

    assert result.successful()
    assert result.get()["error"].startswith("The link returned text/html")
    with organization_scope(personas.organization):
        assert FeedSource.objects.get(pk=source.pk).last_error_message == result.get()["error"]


def test_two_workers_never_poll_one_source_at_once(personas, local_server, eager_celery):  # noqa: F811
    source = _source(personas.organization, personas.editor, local_server.route("/feed.xml", body=rss("a")))
    key = f"org:{personas.organization.pk}:feed-poll:{source.pk}"
    cache.add(key, "another worker", 60)

    result = poll_feed_source.apply(kwargs={"organization_id": personas.organization.pk, "source_id": source.pk})

    assert result.get() == {"skipped": "locked"}
    assert local_server.requests == []
    assert cache.get(key) == "another worker"


def test_running_the_poll_task_twice_adds_each_entry_once(personas, local_server, eager_celery):  # noqa: F811
    source = _source(
        personas.organization, personas.editor, local_server.route("/feed.xml", body=rss("a"), headers=RSS_TYPE)
    )
    kwargs = {"organization_id": personas.organization.pk, "source_id": source.pk}

    first = poll_feed_source.apply(kwargs=kwargs).get()
    second = poll_feed_source.apply(kwargs=kwargs).get()

    assert (first["new_items"], second["new_items"], second["skipped_duplicates"]) == (2, 0, 2)
    with organization_scope(personas.organization):
        assert Suggestion.objects.count() == 2


def test_the_poll_task_of_another_organisation_cannot_reach_a_source(personas, local_server, eager_celery):  # noqa: F811
    source = _source(personas.organization, personas.editor, local_server.route("/feed.xml", body=rss("a")))

    result = poll_feed_source.apply(kwargs={"organization_id": personas.other_organization.pk, "source_id": source.pk})

    assert result.get() == {"skipped": "inactive"}
    assert local_server.requests == []
