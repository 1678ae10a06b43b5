"""The tracked-link pages on a phone: the share's clicks card and the tracking settings fit 390px without
scrolling sideways, however long the link's destination, and pass axe."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import Share
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.analytics.factories import clicks_at, tracked
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG_LINK = "https://www.example.com/careers/lyon/software-engineers-and-data-scientists-2026?team=platform-and-data"


def _signed_in(new_page, base: str, email: str):
    page = new_page(viewport=PHONE)
    sign_in(page, base, email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    return page


def _sideways(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_the_share_page_with_its_clicks_fits_a_phone(live_server, new_page, personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Engineers in Lyon", link=LONG_LINK)
        share = share_of(personas, member, post, status=Share.Status.MANUAL, text=f"We are hiring: {LONG_LINK}")
        link = tracked(share, clicks=1234, unique=987, filtered=56)
        now = timezone.now()
        clicks_at(link, now - dt.timedelta(hours=1), counted=120, unique=100)
        clicks_at(link, now - dt.timedelta(days=3), counted=7, unique=3)
    page = _signed_in(new_page, live_server.url, personas.ambassador.email)

    page.goto(f"{live_server.url}/o/acme/shares/{share.pk}/")

    assert page.locator(".click-day").count() == 2
    assert _sideways(page) == 0
    assert_accessible(page)


def test_the_tracking_settings_fit_a_phone(live_server, new_page, personas):
    page = _signed_in(new_page, live_server.url, personas.admin.email)

    page.goto(f"{live_server.url}/o/acme/settings/links/")

    assert page.locator("code.link-example").count() == 2
    assert _sideways(page) == 0
    assert_accessible(page)
