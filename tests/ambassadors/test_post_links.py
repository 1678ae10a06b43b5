""" "See it on the network" leads to the post on the network's own site: linkedin.com and x.com for real posts, the
sandbox's page of the post for a sandbox one (the client builds the link, one place for both)."""

import pytest
import requests
from django.test import Client
from django.urls import reverse

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from ambassadors.providers import get_provider
from ambassadors.sandbox import registry
from ambassadors.tasks.publishing import publish_share
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("network", "site", "external_id", "url"),
    [
        (
            "linkedin",
            "https://www.linkedin.com",
            "urn:li:share:7234",
            "https://www.linkedin.com/feed/update/urn:li:share:7234/",
        ),
        ("x", "https://x.com", "1445880548472328192", "https://x.com/i/web/status/1445880548472328192"),
    ],
)
def test_a_real_post_links_to_the_networks_site(settings, network, site, external_id, url):
    setattr(settings, f"RELAIS_{network.upper()}_AUTH_URL", site)

    assert get_provider(network).post_url(external_id) == url


@pytest.fixture
def member(personas, settings):
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=personas.ambassador, organization=personas.organization)
        CharterAcceptanceFactory(organization=personas.organization, membership=membership)
    return membership


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_a_sandbox_post_links_to_the_sandboxs_page_of_it(client, personas, member, request, network):
    fake = request.getfixturevalue(f"fake_{network}")
    organization = personas.organization
    with organization_scope(organization):
        share = ShareFactory(
            organization=organization,
            membership=member,
            post=PostFactory(organization=organization, status=Post.Status.APPROVED),
            network=network,
            connection=connect_on(fake, member),
            text="Proud of our team's news",
        )
    assert publish_share(organization_id=organization.pk, share_id=share.pk) == Share.Status.PUBLISHED
    with organization_scope(organization):
        share = Share.objects.get(pk=share.pk)

    assert share.external_url.startswith(f"{fake.base_url}/")
    assert "linkedin.com" not in share.external_url and "x.com" not in share.external_url
    page = requests.get(share.external_url, timeout=5)
    assert page.status_code == 200 and "Proud of our team" in page.text
    client.force_login(personas.ambassador)
    detail = client.get(reverse("share_detail", args=["acme", share.pk])).content.decode()
    assert f'href="{share.external_url}"' in detail
    # Deleted on the network: the page is gone, as on the real sites.
    fake.delete_remote(share.external_id)
    assert requests.get(share.external_url, timeout=5).status_code == 404
    client.force_login(personas.outsider)
    assert client.get(reverse("share_detail", args=["acme", share.pk])).status_code == 404


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_embedded_sandbox_serves_the_page_the_link_names(settings, monkeypatch, network):
    monkeypatch.setattr(registry, "_networks", {})
    settings.RELAIS_SANDBOX_NETWORKS = True
    settings.RELAIS_SITE_URL = "http://testserver"
    setattr(settings, f"RELAIS_{network.upper()}_AUTH_URL", f"http://testserver/sandbox/{network}")
    fake = registry.sandbox_network(network)
    token = fake.issue_token(uid="1001")["access_token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if network == "x":
        created = Client().post("/sandbox/x/2/tweets", {"text": "Hello from the demo"}, "application/json", **headers)
        external_id = created.json()["data"]["id"]
    else:
        body = {
            "author": "urn:li:person:1001",
            "commentary": "Hello from the demo",
            "visibility": "PUBLIC",
            "lifecycleState": "PUBLISHED",
        }
        headers |= {"HTTP_LINKEDIN_VERSION": "202608", "HTTP_X_RESTLI_PROTOCOL_VERSION": "2.0.0"}
        created = Client().post("/sandbox/linkedin/rest/posts", body, "application/json", **headers)
        external_id = created["x-restli-id"]

    url = get_provider(network).post_url(external_id)

    assert url.startswith(f"http://testserver/sandbox/{network}/")
    page = Client().get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and "Hello from the demo" in page.content.decode()
