"""The ambassador's publishing journey in a real browser, against the fake LinkedIn on a real socket: connect the
account through the network's consent page, share a post in their own words, and find it on "LinkedIn"."""

import re

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from charter.services import charter_accept
from content.models import Network, Post
from tests.ambassadors.conftest import (  # noqa: F401 - the fixture, shared with this journey
    control,
    fake_linkedin,
    registered_redirect_uris,
)
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory, PostVariantFactory, eager_celery
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_post(personas, settings, live_server):
    """An approved post live in the feed, and an ambassador who joined the programme. Links in e-mails and the OAuth
    callback point at the live server."""
    settings.RELAIS_SITE_URL = live_server.url
    organization = personas.organization
    organization.language = "en"
    organization.save()
    with organization_scope(organization):
        version = publish_charter(organization, personas.admin)
        charter_accept(
            membership=personas.membership(personas.ambassador), version=version, ip="127.0.0.1", user_agent="test"
        )
        post = PostFactory(
            organization=organization,
            title="Our Q3 report",
            link="https://news.example.test/q3",
            status=Post.Status.APPROVED,
            approved_revision=1,
            publish_at=timezone.now(),
        )
        PostVariantFactory(post=post, network=Network.LINKEDIN, text="Our Q3 report is out.")
    return post


def test_an_ambassador_connects_linkedin_shares_and_finds_the_post_on_linkedin(
    live_server,
    page,
    personas,
    live_post,
    fake_linkedin,  # noqa: F811 - the imported fixture
):
    base = live_server.url
    # The app's callback on the live server, registered like Relais's app on LinkedIn.
    fake_linkedin.registered_redirect_uris = registered_redirect_uris("linkedin")
    sign_in(page, base, personas.ambassador.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/acme/connections/")
    assert_accessible(page)
    page.get_by_role("button", name="Connect LinkedIn").click()
    # The network's own consent page (the fake's), then back to Relais.
    page.get_by_label("name", exact=False).fill("Manon Simon")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(re.compile(r"/o/acme/connections/"))
    assert "Manon Simon" in page.locator("main").inner_text()

    with eager_celery():
        page.goto(f"{base}/o/acme/feed/{live_post.pk}/share/?network=linkedin")
        assert_accessible(page)
        page.get_by_label("LinkedIn").check()
        page.get_by_label("Your text").fill("In my own words: our Q3 report (5 min read) is worth it.")
        page.get_by_role("button", name="Share").click()
        page.get_by_text("Published").first.wait_for()

    [received] = fake_linkedin.live_posts()
    assert received.text == "In my own words: our Q3 report (5 min read) is worth it."
    # The full list of what the fake received is the test harness's: it holds the control secret.
    page.set_extra_http_headers(control(fake_linkedin))
    page.goto(f"{fake_linkedin.base_url}/_sandbox/")
    page.get_by_text("In my own words: our Q3 report (5 min read) is worth it.").wait_for()

    page.goto(f"{base}/o/acme/shares/")
    assert_accessible(page)
