"""The feed and "my shares" stay within 12 queries with 1,000 live posts and 5,000 shares across two organisations
(the data of bench/feed.py), and show only the member's own organisation's posts and shares."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from ambassadors.models import MetricSnapshot, Share
from bench.feed_data import seed_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return seed_feed(posts=1000, shares=5000)


def _client(world) -> Client:
    client = Client()
    assert client.login(username=world.ambassador_email, password=world.password)
    return client


@pytest.mark.parametrize("page", ["feed", "shares"])
def test_the_page_runs_at_most_12_queries_with_a_thousand_posts(world, page, django_assert_max_num_queries):
    client = _client(world)
    url = reverse(page, args=[world.organization_slug])
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200


def test_my_shares_with_every_section_in_use_stay_within_12_queries(world, django_assert_max_num_queries):
    # The seeded ambassador's shares are published or to post by hand: some become upcoming and some wait for a
    # reconnection, and the published ones get figures, so every section and its reads are on the page.
    organization = Organization.objects.get(slug=world.organization_slug)
    with organization_scope(organization):
        mine = Share.objects.filter(organization=organization, membership__user_id=world.ambassador_id)
        by_hand = list(mine.filter(status=Share.Status.MANUAL).values_list("pk", flat=True))
        mine.filter(pk__in=by_hand[::2]).update(
            status=Share.Status.SCHEDULED, scheduled_at=timezone.now() + dt.timedelta(days=1)
        )
        mine.filter(pk__in=by_hand[1::4]).update(status=Share.Status.NEEDS_ACTION, action_required="reconnect")
        MetricSnapshot.objects.bulk_create(
            MetricSnapshot(organization=organization, share=share, slot=0, taken_at=timezone.now(), likes=n)
            for n, share in enumerate(mine.filter(status=Share.Status.PUBLISHED))
        )
    client = _client(world)
    url = reverse("shares", args=[world.organization_slug])
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert all(f'id="shares-{key}"' in page for key in ("needs_you", "upcoming", "published"))
    assert "feed-b" not in page


def test_the_next_pages_of_the_feed_cost_no_more(world, django_assert_max_num_queries):
    client = _client(world)
    url = reverse("feed", args=[world.organization_slug]) + "?page=30"
    client.get(url)
    with django_assert_max_num_queries(12):
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert all("feed-a" in post.link for post in response.context["posts"])


def test_the_other_organisations_feed_is_a_404(world):
    assert _client(world).get(reverse("feed", args=["feed-b"])).status_code == 404


def test_the_composer_runs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    # Not a list, but opened from every notification: its checks (charter, rules, caps, similarity) stay fixed.
    client = _client(world)
    url = reverse("composer", args=[world.organization_slug, world.post_id])
    client.get(url)
    with django_assert_max_num_queries(26):
        assert client.get(url).status_code == 200
