"""The pages that show posts keep their layout in a real browser: nothing scrolls sideways on a phone, however
many posts a day holds or however long a changed link is, shares read as a column of cards, and a large post image
does not take over the page."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import MetricSnapshot, Share
from content import services
from content.models import Post
from tests.ambassadors.test_shares import accept_charter, live_post, share_of
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.images import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _signed_in(new_page, base: str, email: str, **options):
    page = new_page(**options)
    sign_in(page, base, email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    return page


def _sideways(page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the window)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_a_crowded_calendar_month_does_not_scroll_sideways_on_a_phone(live_server, new_page, personas):
    organization = personas.organization
    day = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=2)
    with organization_scope(organization):
        for number in range(12):
            Post.objects.create(
                organization=organization,
                title=f"Product announcement {number} with a title long enough to wrap",
                publish_at=day + timedelta(minutes=15 * number),
            )
    page = _signed_in(new_page, live_server.url, personas.editor.email, viewport=PHONE)

    page.goto(f"{live_server.url}/o/acme/calendar/?date={day:%Y-%m-%d}")

    assert page.locator("a.calendar-more:visible").count() == 1
    assert _sideways(page) == 0
    # A phone reads the month as a list of its busy days, not as a grid seven days wide.
    assert page.locator("table.calendar-month").is_hidden()
    assert page.locator(".calendar-agenda .calendar-post:visible").count() == 5


def test_the_approval_page_of_a_phone_wraps_long_links_and_lists_the_facts_flush(live_server, new_page, personas):
    organization = personas.organization
    with organization_scope(organization):
        post = services.post_create(organization=organization, author=personas.editor, title="Careers in Lyon")
        Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED, approved_revision=post.revision)
        post.refresh_from_db()
        post = services.post_update(
            post=post,
            by=personas.editor,
            link="https://www.example.com/careers/lyon/software-engineers-and-data-scientists-2026",
        )
    assert post.status == Post.Status.IN_REVIEW
    page = _signed_in(new_page, live_server.url, personas.approver.email, viewport=PHONE)

    page.goto(f"{live_server.url}/o/acme/approvals/{post.pk}/")

    assert page.locator(".diff ins", has_text="software-engineers").count() == 1
    assert _sideways(page) == 0
    # The post's facts are a list of labels over values, the values not indented as a bare <dd> is.
    label = page.locator("dl.details dt").first.bounding_box()
    value = page.locator("dl.details dd").first.bounding_box()
    assert label is not None and value is not None
    assert value["x"] == pytest.approx(label["x"], abs=1)


def test_a_large_post_image_is_shown_at_a_bounded_height(live_server, new_page, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organization = personas.organization
    with organization_scope(organization):
        post = services.post_create(organization=organization, author=personas.editor, title="Plant opening")
        post.image.save("plant.png", ContentFile(png((2400, 1600))))
    page = _signed_in(new_page, live_server.url, personas.editor.email, viewport={"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/o/acme/content/{post.pk}/")

    image = page.locator("img.post-image")
    image.wait_for()
    box = image.bounding_box()
    assert box is not None
    assert 0 < box["height"] <= 400
    assert box["width"] == pytest.approx(box["height"] * 1.5, abs=2)


def test_the_shares_sections_are_columns_of_cards_without_bullets_on_a_phone(live_server, new_page, personas):
    with organization_scope(personas.organization):
        accept_charter(personas, personas.ambassador)
        member = personas.membership(personas.ambassador)
        post = live_post(personas, title="Quarterly figures")
        share_of(personas, member, post, status=Share.Status.SCHEDULED, text="Proud of these figures.")
        share_of(personas, member, post, network="x", status=Share.Status.NEEDS_ACTION, action_required="reconnect")
        published = share_of(
            personas,
            member,
            post,
            status=Share.Status.PUBLISHED,
            published_at=timezone.now(),
            external_url="https://www.linkedin.com/feed/update/urn:li:share:7737873730273440302/",
        )
        MetricSnapshot.objects.create(
            organization=personas.organization, share=published, slot=0, taken_at=timezone.now(), likes=12
        )
    page = _signed_in(new_page, live_server.url, personas.ambassador.email, viewport=PHONE)

    page.goto(f"{live_server.url}/o/acme/shares/")

    cards = page.locator(".share-section .share-list > li.card")
    assert cards.count() == 3
    assert page.locator(".share-section h2").all_inner_texts() == ["Needs you", "Upcoming", "Published"]
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert heading is not None
    for card in cards.all():
        assert card.evaluate("item => getComputedStyle(item).listStyleType") == "none"
        box = card.bounding_box()
        assert box is not None and box["x"] == pytest.approx(heading["x"], abs=1)
    assert _sideways(page) == 0


def test_pages_leave_nothing_in_the_console(live_server, new_page, personas):
    """No header the browser does not understand, and no request that fails (such as the tab's icon)."""
    page = new_page()
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    sign_in(page, live_server.url, personas.editor.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    page.goto(f"{live_server.url}/o/acme/content/")
    page.wait_for_load_state("networkidle")

    assert not [text for text in console if "Permissions-Policy" in text]
    assert not failed


def test_a_long_title_wraps_beside_its_thumbnail_in_the_library(live_server, new_page, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organization = personas.organization
    with organization_scope(organization):
        post = services.post_create(
            organization=organization, author=personas.editor, title="We are hiring thirty engineers in Lyon"
        )
        post.image.save("team.png", ContentFile(png((400, 300))))
    page = _signed_in(new_page, live_server.url, personas.editor.email, viewport=PHONE)

    page.goto(f"{live_server.url}/o/acme/content/")

    thumb = page.locator("img.post-thumb")
    thumb.wait_for()
    title = page.get_by_role("link", name="We are hiring thirty engineers in Lyon")
    thumb_box, title_box = thumb.bounding_box(), title.bounding_box()
    assert thumb_box is not None and title_box is not None
    assert title_box["height"] > 30  # the title takes several lines on a phone
    assert title_box["x"] >= thumb_box["x"] + thumb_box["width"]
