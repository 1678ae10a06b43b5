"""The welcome tour on a phone: every step fits 390 px without scrolling sideways, passes axe, and the profile step
starts from the device's time zone (static/js/welcome.js) under the Content-Security-Policy."""

import pytest

from advocacy.tenancy import organization_scope
from ambassadors import onboarding
from content.models import Post
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.charter.factories import CharterVersionFactory
from tests.content.factories import PostFactory, TopicFactory
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, ProgrammeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def test_the_tour_fits_a_phone_and_starts_from_the_device_time_zone(live_server, new_page):
    organization = OrganizationFactory(slug="acme", name="Acme", language="en")
    user = UserFactory(email="ada@acme.test", language="en")
    with organization_scope(organization):
        MembershipFactory(organization=organization, user=user)
        CharterVersionFactory(organization=organization, published=True, number=1)
        ProgrammeFactory(
            organization=organization,
            name="Tech voices",
            description="For the engineers who write about what they build.",
            open_to_volunteers=True,
        )
        TopicFactory(organization=organization, name="Cloud")
        PostFactory(organization=organization, status=Post.Status.APPROVED, title="Our new data centre")
    page = new_page(timezone_id="America/Toronto", viewport={"width": 390, "height": 844})
    sign_in(page, live_server.url, user.email, DEFAULT_PASSWORD)

    for key in onboarding.KEYS:
        page.goto(f"{live_server.url}/o/acme/welcome/{key}/")
        page.get_by_text(f"Step {onboarding.step_number(key)} of 5").wait_for()
        assert not page.evaluate(SIDEWAYS), key
        assert_accessible(page)

    page.goto(f"{live_server.url}/o/acme/welcome/profile/")
    page.wait_for_function("document.querySelector('select[data-prefill-device-zone]').value !== ''")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/o/acme/welcome/connect/")
    user.refresh_from_db()
    assert user.time_zone == "America/Toronto"
