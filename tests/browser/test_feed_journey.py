"""The ambassador's feed journey in a real browser, on a desktop and on a 390 px phone, against the fake LinkedIn on
a real socket: from the feed to the composer, where the unchanged suggestion raises the anti-parrot notice and a
sentence of their own clears it; shared on LinkedIn and found there; then an X share by copy-and-open, marked as
posted. axe on the feed, the composer and "my shares"; no sideways scrolling."""

import re

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import PublishingSettings, Share
from charter.services import charter_accept
from content.models import Network, Post
from tests.ambassadors.conftest import (  # noqa: F401 - the fixture, shared with this journey
    control,
    fake_linkedin,
    registered_redirect_uris,
)
from tests.ambassadors.factories import connect_on
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory, PostVariantFactory, eager_celery
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUGGESTION = "Our Q3 report is out: revenue up, emissions down, and a new plant in Lyon."
PERSONAL = "I spent the spring at the Lyon site and saw the team build this line from an empty hall."


@pytest.fixture
def world(personas, settings, live_server, fake_linkedin):  # noqa: F811 - the imported fixture
    settings.RELAIS_SITE_URL = live_server.url
    organization = personas.organization
    organization.language = "en"
    organization.save()
    with organization_scope(organization):
        version = publish_charter(organization, personas.admin)
        member = personas.membership(personas.ambassador)
        charter_accept(membership=member, version=version, ip="127.0.0.1", user_agent="test")
        # X goes by copy-and-open here: the organisation keeps its X budget for later.
        PublishingSettings.objects.create(organization=organization, x_api_enabled=False)
        connect_on(fake_linkedin, member, name="Manon Simon")
        post = PostFactory(
            organization=organization,
            title="Our Q3 report",
            link="https://news.example.test/q3",
            note="Say what the numbers mean for your team.",
            status=Post.Status.APPROVED,
            approved_revision=1,
            publish_at=timezone.now(),
            featured=True,
        )
        PostVariantFactory(post=post, network=Network.LINKEDIN, text=SUGGESTION)
        PostVariantFactory(post=post, network=Network.X, text="Q3: revenue up, emissions down.")
    return post


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("width", [1280, 390])
def test_an_ambassador_makes_a_post_their_own_and_shares_it(
    live_server,
    new_page,
    personas,
    world,
    fake_linkedin,  # noqa: F811 - the imported fixture
    width,
):
    base = live_server.url
    page = new_page(viewport={"width": width, "height": 900})
    sign_in(page, base, personas.ambassador.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/acme/feed/")
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.get_by_role("link", name="Make it mine and share Our Q3 report").click()
    page.wait_for_url(re.compile(rf"/o/acme/feed/{world.pk}/share/"))

    text = page.get_by_label("Your text")
    assert text.input_value() == SUGGESTION
    page.locator("[data-parrot-notice]").wait_for()
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.get_by_role("button", name="What I learned").click()
    assert text.input_value().startswith("What I learned: ")
    text.fill(f"{PERSONAL}\n\n{SUGGESTION}")
    page.locator("[data-parrot-notice]").wait_for(state="detached")
    page.get_by_text("Your own words make this share yours.").wait_for()

    with eager_celery():
        page.get_by_role("button", name="Share", exact=True).click()
        page.get_by_text("Published").first.wait_for()
    [received] = fake_linkedin.live_posts()
    assert received.text.startswith(PERSONAL)

    # X by copy-and-open: the text to copy, the network's page, then "I posted it".
    page.goto(f"{base}/o/acme/feed/{world.pk}/share/?network=x")
    page.get_by_label("Your text").fill(f"{PERSONAL} On X too.")
    page.get_by_role("button", name="Share", exact=True).click()
    page.wait_for_url(re.compile(r"/o/acme/shares/\d+/"))
    page.get_by_label("Address of your post (optional)").fill("https://x.com/manon/status/1234567890")
    page.get_by_role("button", name="Mark as posted").click()
    page.get_by_text("Published").first.wait_for()
    with organization_scope(personas.organization):
        shares = dict(Share.objects.filter(post=world).values_list("network", "status"))
    assert shares == {"linkedin": "published", "x": "published"}

    page.goto(f"{base}/o/acme/shares/")
    assert_accessible(page)
    _no_sideways_scroll(page)
