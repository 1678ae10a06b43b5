"""Tracked links and clicks for tests, written directly: the redirect and the flusher are tested on their own."""

import datetime as dt
import secrets

import factory

from analytics.links import link_for_share
from analytics.models import Click, DailyStat, TrackedLink
from analytics.rollups import derive_breakdowns
from content.models import Network, PostProgramme, PostTopic
from tests.factories import OrganizationFactory


def tracked(share, *, clicks=0, unique=0, filtered=0) -> TrackedLink:
    """The share's link with its counters set. Call inside the organisation's scope."""
    link = link_for_share(share)
    assert link is not None
    TrackedLink.objects.filter(pk=link.pk).update(clicks=clicks, unique_clicks=unique, filtered_clicks=filtered)
    link.refresh_from_db()
    return link


def clicks_at(link: TrackedLink, when: dt.datetime, *, counted=0, unique=0, filtered=0) -> None:
    """``counted`` counted clicks at ``when`` (the first ``unique`` of them first of the day), and ``filtered``
    robot clicks. Call inside the organisation's scope."""
    rows = [
        Click(
            organization=link.organization,
            event_id=f"{when.timestamp()}-{index}-{secrets.token_hex(4)}",
            clicked_at=when + dt.timedelta(seconds=index),
            link=link,
            share_id=link.share_id,
            membership_id=link.membership_id,
            post_id=link.post_id,
            network=link.network,
            visitor_hash=secrets.token_hex(16),
            first_of_day=index < unique,
            filtered="",
        )
        for index in range(counted)
    ]
    rows += [
        Click(
            organization=link.organization,
            event_id=f"{when.timestamp()}-bot-{index}-{secrets.token_hex(4)}",
            clicked_at=when + dt.timedelta(seconds=index),
            link=link,
            share_id=link.share_id,
            membership_id=link.membership_id,
            post_id=link.post_id,
            network=link.network,
            visitor_hash=secrets.token_hex(16),
            filtered=Click.Filtered.BOT,
        )
        for index in range(filtered)
    ]
    Click.objects.bulk_create(rows)


class DailyStatFactory(factory.django.DjangoModelFactory):
    """A rollup row written directly, for the readers of the rollups. Create inside the organisation's scope; an
    ``all`` row of LinkedIn unless told otherwise."""

    class Meta:
        model = DailyStat

    organization = factory.SubFactory(OrganizationFactory)
    day = factory.LazyFunction(lambda: dt.date.today())
    breakdown = DailyStat.Breakdown.ALL
    network = Network.LINKEDIN


def record_post_day(organization, day, member, network, post, *, topics=(), programmes=(), **figures) -> None:
    """One (day, member, network, post) rollup cell, as analytics.rollups writes it from the raw rows, with the post's
    topics and programmes linked, and every other breakdown of the day added up from it. Inside the scope."""
    figures.setdefault("shares", 1)
    for topic in topics:
        PostTopic.objects.get_or_create(organization=organization, post=post, topic=topic)
    for programme in programmes:
        PostProgramme.objects.get_or_create(organization=organization, post=post, programme=programme)
    DailyStat.objects.create(
        organization=organization,
        day=day,
        breakdown=DailyStat.Breakdown.POST,
        membership=member,
        network=network,
        post=post,
        **figures,
    )
    derive_breakdowns(organization=organization, first_day=day, last_day=day)
