"""LinkedIn's metrics scope end to end (provider-contracts.md §1.1, §1.4): the consent asks for
``r_member_postAnalytics`` only when the app is approved for it, the connection stores what LinkedIn granted, the fake
checks the token's own scopes, a connection without them is never polled and its shares say why, and in the demo
the figures appear after the first poll."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.metrics import schedule
from ambassadors.models import MetricSnapshot, Share, SocialConnection
from ambassadors.providers import get_provider
from ambassadors.tasks.metrics import poll_connection_metrics
from ambassadors.tasks.publishing import publish_share
from ambassadors.ticks.metrics import due_metrics_connections
from content.models import Post
from tests.ambassadors.factories import ShareFactory
from tests.ambassadors.test_connections_flow import connect_through
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory

pytestmark = pytest.mark.django_db

NOT_APPROVED = "Metrics not available: the app is not approved for them."
NOT_APPROVED_FR = "Chiffres non disponibles : l’application n’est pas approuvée pour les lire."


@pytest.fixture
def ambassador(client, personas, settings):
    # The demo's schedule (settings/dev.py): the first poll two minutes after publication.
    settings.RELAIS_METRICS_SCHEDULE_SECONDS = [120.0, 600.0, 3600.0, 21600.0, 86400.0, 604800.0]
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=personas.ambassador, organization=personas.organization)
        CharterAcceptanceFactory(organization=personas.organization, membership=membership)
    client.force_login(personas.ambassador)
    return client


def _connection(personas) -> SocialConnection:
    with organization_scope(personas.organization):
        return SocialConnection.objects.get(membership__user=personas.ambassador, provider="linkedin")


def _published_share(personas, connection) -> Share:
    """A share of a live post published through the real publishing task and the fake's API."""
    organization = personas.organization
    with organization_scope(organization):
        share = ShareFactory(
            organization=organization,
            membership=connection.membership,
            post=PostFactory(organization=organization, status=Post.Status.APPROVED),
            network="linkedin",
            connection=connection,
        )
    assert publish_share(organization_id=organization.pk, share_id=share.pk) == Share.Status.PUBLISHED
    with organization_scope(organization):
        return Share.objects.get(pk=share.pk)


@pytest.mark.parametrize(("approved", "scopes"), [(True, {"r_member_postAnalytics"}), (False, set())])
def test_the_consent_asks_for_post_analytics_only_when_the_app_is_approved(settings, approved, scopes):
    settings.RELAIS_LINKEDIN_POST_ANALYTICS = approved

    url = get_provider("linkedin").authorization_url(redirect_uri="https://relais.test/cb", state="s")

    asked = set(parse_qs(urlsplit(url).query)["scope"][0].split())
    assert asked == {"openid", "profile", "email", "w_member_social"} | scopes


def test_the_demo_shows_figures_after_the_first_poll(ambassador, personas, fake_linkedin):
    fake_linkedin.auto_consent = "approve"
    connect_through(ambassador, "acme", "linkedin")
    connection = _connection(personas)
    assert "r_member_postAnalytics" in connection.scopes and connection.metrics_granted

    share = _published_share(personas, connection)
    assert share.metrics_state == Share.MetricsState.POLLING
    # The sandbox's clock and ours both reach the first poll.
    fake_linkedin.clock.advance(schedule()[0].total_seconds())
    with organization_scope(personas.organization):
        Share.objects.filter(pk=share.pk).update(metrics_next_poll_at=share.published_at)
    assert due_metrics_connections() == [(connection.pk, personas.organization.pk)]

    result = poll_connection_metrics.apply(
        kwargs={"organization_id": personas.organization.pk, "connection_id": connection.pk}
    ).get()

    assert (result["outcome"], result["snapshots"]) == ("ok", 1)
    assert [entry.status for entry in fake_linkedin.requests_to("GET", "/rest/memberCreatorPostAnalytics")] == [200] * 5
    with organization_scope(personas.organization):
        snapshot = MetricSnapshot.objects.get(share=share)
    assert snapshot.impressions > 0 and snapshot.reach is not None and snapshot.likes is not None
    page = ambassador.get(reverse("share_detail", args=["acme", share.pk])).content.decode()
    assert "No figures from the network yet." not in page and NOT_APPROVED not in page
    assert f'<dd class="stat-value">{snapshot.impressions}</dd>' in page


def test_without_approval_the_share_says_why_and_is_never_polled(ambassador, personas, fake_linkedin, settings):
    settings.RELAIS_LINKEDIN_POST_ANALYTICS = False
    fake_linkedin.auto_consent = "approve"
    connect_through(ambassador, "acme", "linkedin")
    connection = _connection(personas)
    assert "r_member_postAnalytics" not in connection.scopes and not connection.metrics_granted

    share = _published_share(personas, connection)

    assert (share.metrics_state, share.metrics_next_poll_at) == (Share.MetricsState.NOT_GRANTED, None)
    with organization_scope(personas.organization):
        # Even a share left waiting for figures (published before this connection's scopes were known).
        Share.objects.filter(pk=share.pk).update(
            metrics_state=Share.MetricsState.POLLING, metrics_next_poll_at=share.published_at
        )
    assert due_metrics_connections() == []
    result = poll_connection_metrics.apply(
        kwargs={"organization_id": personas.organization.pk, "connection_id": connection.pk}
    ).get()
    assert result["outcome"] == "not_granted"
    assert fake_linkedin.requests_to("GET", "/rest/memberCreatorPostAnalytics") == []
    assert fake_linkedin.requests_to("GET", "/rest/socialActions") == []
    page = ambassador.get(reverse("share_detail", args=["acme", share.pk])).content.decode()
    assert NOT_APPROVED in page and "No figures from the network yet." not in page
    personas.ambassador.language = "fr"
    personas.ambassador.save(update_fields=["language"])
    page = ambassador.get(reverse("share_detail", args=["acme", share.pk]), HTTP_ACCEPT_LANGUAGE="fr").content
    assert NOT_APPROVED_FR in page.decode()


def test_an_outsider_gets_a_404_on_the_share(client, personas, fake_linkedin, ambassador):
    fake_linkedin.auto_consent = "approve"
    connect_through(ambassador, "acme", "linkedin")
    share = _published_share(personas, _connection(personas))
    client.force_login(personas.outsider)

    assert client.get(reverse("share_detail", args=["acme", share.pk])).status_code == 404
