"""Announcing featured posts to programmes' Slack and Teams channels: what the tick lists across organisations, the
vendors' messages, one delivery per (webhook, post) however often the tick and tasks run, retries with backoff
(Retry-After honoured), giving up, and a webhook deleted on the vendor's side."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import ProgrammeWebhook, WebhookDelivery
from ambassadors.services.channels import MAX_ATTEMPTS, webhook_create, webhook_set_active
from ambassadors.tasks.channels import announce_channels, announce_post, deliver_announcement
from ambassadors.ticks.channels import due_deliveries, posts_to_announce
from content.models import Post, PostProgramme
from tests.ambassadors.channel_fake import Answer, fake_channels_fixture  # noqa: F401 - the fixture
from tests.content.factories import PostFactory, eager_celery
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def featured_post(organization, author, *, programmes=(), went_live=None, **fields) -> Post:
    went_live = went_live or timezone.now() - timedelta(minutes=5)
    with organization_scope(organization):
        post = PostFactory(
            organization=organization,
            author=author,
            **{
                "status": Post.Status.APPROVED,
                "featured": True,
                "approved_at": went_live,
                "note": "Our biggest quarter yet: say what it means for your team.",
                **fields,
            },
        )
        for programme in programmes:
            PostProgramme.objects.create(organization=organization, post=post, programme=programme)
    return post


def channel(programme, url, kind="slack", by=None) -> ProgrammeWebhook:
    with organization_scope(programme.organization):
        return webhook_create(programme=programme, kind=kind, url=url, by=by)


def tick() -> int:
    """One beat of the channels tick, its in-process tasks included (the tick's own lock released first)."""
    cache.delete("ambassadors:channels-tick")
    with eager_celery():
        return announce_channels.apply().get()


def deliveries(organization):
    with organization_scope(organization):
        return list(WebhookDelivery.objects.order_by("pk"))


@pytest.fixture
def programme(personas):
    with organization_scope(personas.organization):
        return ProgrammeFactory(organization=personas.organization, name="Sales")


# --- What the tick lists -------------------------------------------------------------------------------------------


def test_the_tick_lists_recent_featured_posts_with_a_channel_to_tell_as_ids(personas, programme, fake_channels):
    organization, other = personas.organization, personas.other_organization
    channel(programme, fake_channels.slack_url())
    with organization_scope(organization):
        elsewhere = ProgrammeFactory(organization=organization, name="Engineering")
    for_everyone = featured_post(organization, personas.editor)
    for_sales = featured_post(organization, personas.editor, programmes=[programme])
    featured_post(organization, personas.editor, programmes=[elsewhere])
    featured_post(organization, personas.editor, featured=False)
    featured_post(organization, personas.editor, went_live=timezone.now() - timedelta(days=2))
    featured_post(organization, personas.editor, publish_at=timezone.now() + timedelta(hours=1))
    with organization_scope(other):
        other_programme = ProgrammeFactory(organization=other)
    featured_post(other, personas.outsider, programmes=[other_programme])

    assert sorted(posts_to_announce()) == [(for_everyone.pk, organization.pk), (for_sales.pk, organization.pk)]


def test_a_paused_channel_is_not_told_and_an_announced_post_is_not_listed_again(personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())
    featured_post(personas.organization, personas.editor)
    with organization_scope(personas.organization):
        webhook_set_active(webhook=webhook, active=False, by=None)
    assert posts_to_announce() == []

    with organization_scope(personas.organization):
        webhook_set_active(webhook=webhook, active=True, by=None)
    tick()

    assert posts_to_announce() == [] and due_deliveries() == []
    assert len(fake_channels.received) == 1


# --- The messages --------------------------------------------------------------------------------------------------


def test_slack_gets_the_title_the_note_and_a_button_to_the_composer(personas, programme, fake_channels, settings):
    settings.RELAIS_SITE_URL = "https://relais.example"
    channel(programme, fake_channels.slack_url("T1/B2/secret"))
    post = featured_post(personas.organization, personas.editor, title="Q3 <results> & more")

    tick()

    [request] = fake_channels.received
    assert request.path == "/services/T1/B2/secret"
    assert request.headers["Content-Type"].startswith("application/json")
    assert "Q3 <results> & more" in request.json["text"]
    section = request.json["blocks"][1]["text"]["text"]
    assert "*Q3 &lt;results&gt; &amp; more*" in section and "Our biggest quarter yet" in section
    button = request.json["blocks"][2]["elements"][0]
    assert button["url"] == f"https://relais.example/o/acme/feed/{post.pk}/share/"
    [delivery] = deliveries(personas.organization)
    assert delivery.status == Status.SENT and delivery.attempts == 1 and delivery.sent_at is not None


def test_teams_gets_an_adaptive_card_with_the_same(personas, programme, fake_channels):
    channel(programme, fake_channels.teams_url(), kind="teams")
    post = featured_post(personas.organization, personas.editor, title="Q3 results")

    tick()

    [request] = fake_channels.received
    [attachment] = request.json["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [block["text"] for block in card["body"]][1:] == ["Q3 results", post.note]
    assert card["actions"][0]["url"].endswith(f"/o/acme/feed/{post.pk}/share/")


def test_each_channel_of_the_targeted_programmes_is_told_once(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url("one"))
    channel(programme, fake_channels.teams_url("two"), kind="teams")
    featured_post(personas.organization, personas.editor, programmes=[programme])

    tick()

    assert sorted(request.path for request in fake_channels.received) == ["/services/one", "/webhookb2/two"]


# --- Exactly once --------------------------------------------------------------------------------------------------


def test_running_the_tick_and_the_tasks_twice_sends_one_message(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url())
    post = featured_post(personas.organization, personas.editor)
    organization_id = personas.organization.pk

    tick()
    tick()
    with eager_celery():
        assert announce_post.apply(kwargs={"organization_id": organization_id, "post_id": post.pk}).get() == 0
    [delivery] = deliveries(personas.organization)
    result = deliver_announcement.apply(kwargs={"organization_id": organization_id, "delivery_id": delivery.pk})

    assert result.get() == "skipped"
    assert len(fake_channels.received) == 1


def test_a_delivery_claimed_by_another_run_is_not_sent_again(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url())
    post = featured_post(personas.organization, personas.editor)
    with organization_scope(personas.organization):
        from ambassadors.services.channels import delivery_send, post_announce

        [delivery_id] = post_announce(post=post)
        # Another worker claimed it: the claim moved its next attempt past now.
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            attempts=1, next_attempt_at=timezone.now() + timedelta(minutes=5)
        )
        assert delivery_send(delivery_id=delivery_id, organization_id=personas.organization.pk) == "skipped"

    assert fake_channels.received == []


# --- Retries -------------------------------------------------------------------------------------------------------


def test_a_server_error_is_retried_after_a_minute_then_delivered(personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())
    featured_post(personas.organization, personas.editor)
    fake_channels.answer(Answer(status=500, body=b"oops"))
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        tick()
    [delivery] = deliveries(personas.organization)
    assert delivery.status == Status.PENDING and delivery.attempts == 1
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    with organization_scope(personas.organization):
        webhook.refresh_from_db()
    assert webhook.last_error == "http:500:oops" and webhook.last_failed_at is not None

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert tick() == 0
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert tick() == 1

    [delivery] = deliveries(personas.organization)
    assert delivery.status == Status.SENT and delivery.attempts == 2
    assert len(fake_channels.received) == 2
    with organization_scope(personas.organization):
        webhook.refresh_from_db()
    assert webhook.last_delivered_at is not None


def test_a_rate_limit_waits_as_long_as_retry_after_says(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url())
    featured_post(personas.organization, personas.editor)
    fake_channels.answer(Answer(status=429, body=b"rate_limited", headers={"Retry-After": "600"}))
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        tick()

    [delivery] = deliveries(personas.organization)
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at == start + timedelta(seconds=600)
    assert delivery.last_error == "http:429:rate_limited"


def test_it_gives_up_after_six_attempts_with_growing_waits(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url())
    featured_post(personas.organization, personas.editor)
    fake_channels.answer(*[Answer(status=503) for _ in range(MAX_ATTEMPTS)])
    moment = timezone.now()
    waits = []

    for _attempt in range(MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            tick()
        [delivery] = deliveries(personas.organization)
        if delivery.next_attempt_at is not None:
            waits.append(delivery.next_attempt_at - moment)
            moment = delivery.next_attempt_at

    assert waits == [timedelta(minutes=minutes) for minutes in (1, 5, 30, 120, 360)]
    assert delivery.status == Status.FAILED and delivery.attempts == MAX_ATTEMPTS
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        assert tick() == 0
    assert len(fake_channels.received) == MAX_ATTEMPTS


def test_a_webhook_deleted_on_the_vendor_side_fails_at_once_and_is_marked(personas, programme, fake_channels):
    webhook = channel(programme, fake_channels.slack_url())
    featured_post(personas.organization, personas.editor)
    fake_channels.answer(Answer(status=404, body=b"no_service"))

    tick()

    [delivery] = deliveries(personas.organization)
    assert delivery.status == Status.FAILED and delivery.attempts == 1
    with organization_scope(personas.organization):
        webhook.refresh_from_db()
    assert webhook.last_error == "http:404:no_service" and webhook.last_failed_at is not None
    assert due_deliveries() == []


def test_a_post_withdrawn_before_its_delivery_is_not_announced(personas, programme, fake_channels):
    channel(programme, fake_channels.slack_url())
    post = featured_post(personas.organization, personas.editor)
    with organization_scope(personas.organization):
        from ambassadors.services.channels import delivery_send, post_announce

        [delivery_id] = post_announce(post=post)
        Post.objects.filter(pk=post.pk).update(status=Post.Status.WITHDRAWN)
        assert delivery_send(delivery_id=delivery_id, organization_id=personas.organization.pk) == "failed"

    assert fake_channels.received == []
