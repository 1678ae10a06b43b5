"""The time-zone picker in a real browser: the device's zone offered first, and a filter box that narrows the list
(static/js/timezone.js), under the Content-Security-Policy."""

import pytest

from advocacy.tenancy import organization_scope
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_device_zone_comes_first_and_the_filter_narrows_the_list(live_server, new_page):
    organization = OrganizationFactory(slug="acme", name="Acme", language="en")
    user = UserFactory(email="ada@acme.test", language="en")
    with organization_scope(organization):
        MembershipFactory(organization=organization, user=user)
    page = new_page(timezone_id="America/Toronto", viewport={"width": 390, "height": 844})

    sign_in(page, live_server.url, user.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/account/")
    select = page.locator("select[data-time-zone-picker]")
    select.wait_for()
    page.wait_for_function("document.querySelector('select[data-time-zone-picker] optgroup[data-suggestion]')")

    first_values = select.evaluate("s => Array.from(s.options).slice(0, 2).map(o => o.value)")
    assert first_values == ["", "America/Toronto"]
    assert select.input_value() == ""  # suggested, not chosen for the member

    page.get_by_placeholder("Filter the time zones").fill("buenos")
    visible = select.evaluate("s => Array.from(s.options).filter(o => !o.hidden && o.value).map(o => o.value)")
    assert visible == ["America/Argentina/Buenos_Aires"]

    select.select_option("America/Argentina/Buenos_Aires")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    user.refresh_from_db()
    assert user.time_zone == "America/Argentina/Buenos_Aires"
