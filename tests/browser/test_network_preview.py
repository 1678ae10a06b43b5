"""The LinkedIn and X previews kept live in a real browser: typing in the post editor and in the composer redraws
both, with the line breaks, the charter's disclosure, the link card, LinkedIn's fold and X's length limit."""

import re

import pytest
from django.utils import timezone

from advocacy.tenancy import organization_scope
from charter.compliance import rules_save
from charter.services import charter_accept
from content.models import Network, Post
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.charter.factories import publish_charter
from tests.content.factories import PostFactory, PostVariantFactory
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TEXT = "Our annual report is out, with every figure explained. " * 6


@pytest.fixture
def disclosures(personas):
    organization = personas.organization
    organization.language = "en"
    organization.save()
    with organization_scope(organization):
        rules_save(organization=organization, by=personas.admin, disclosure_linkedin="#job", disclosure_x="#ad")


def _preview(page, network):
    return page.locator(f"[data-preview-network={network}]")


def _text(page, network):
    """The preview's text once the redraw queued by the last keystroke (one per animation frame) has run."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    return _preview(page, network).locator("[data-preview-text]").inner_text()


def _sign_in(page, base, user):
    sign_in(page, base, user.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))


def test_the_editor_previews_update_as_the_editor_types(live_server, page, personas, disclosures):
    personas.editor.full_name = "Camille Martin"
    personas.editor.save(update_fields=["full_name"])
    base = live_server.url
    _sign_in(page, base, personas.editor)
    page.goto(f"{base}/o/acme/content/new/")
    linkedin, x = _preview(page, "linkedin"), _preview(page, "x")
    assert linkedin.locator("[data-preview-empty]").is_visible()

    page.get_by_label("Link to share").fill("https://example.com/annual-report")
    page.locator("#variants-linkedin textarea").first.press_sequentially("Line one")
    page.keyboard.press("Enter")
    page.keyboard.type("Line two")

    # Four lines with the disclosure: LinkedIn shows three, the blank one dropped, then "…see more".
    assert _text(page, "linkedin") == "Line one\nLine two"
    assert linkedin.locator("[data-preview-more]").is_visible()
    assert not linkedin.locator("[data-preview-empty]").is_visible()
    assert "Camille Martin" in linkedin.inner_text()
    assert linkedin.locator(".network-preview-avatar").inner_text() == "CM"
    assert linkedin.locator("[data-preview-card-site]").inner_text() == "example.com"
    # No X text yet: X previews the LinkedIn one, with its own disclosure and the link its client appends.
    assert _text(page, "x") == ("Line one\nLine two\n\n#ad https://example.com/annual-report")

    page.locator("#variants-x textarea").first.fill(LONG_TEXT)
    assert _text(page, "x").startswith(LONG_TEXT.strip())
    assert x.locator("[data-preview-over]").is_visible()
    assert "text-bg-danger" in (x.locator("[data-preview-count]").get_attribute("class") or "")
    assert x.locator("[data-preview-count]").inner_text() == f"{len(LONG_TEXT.strip()) + 5 + 24} / 280"
    assert _text(page, "linkedin").startswith("Line one")
    assert_accessible(page)

    page.locator("#variants-x textarea").first.fill("Short.")
    assert _text(page, "x") == "Short.\n\n#ad https://example.com/annual-report"
    assert not x.locator("[data-preview-over]").is_visible()
    assert x.locator("[data-preview-count]").inner_text() == f"{6 + 5 + 24} / 280"


@pytest.fixture
def live_post(personas, disclosures):
    organization = personas.organization
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
    personas.ambassador.full_name = "Manon Simon"
    personas.ambassador.save(update_fields=["full_name"])
    return post


def test_the_composer_previews_update_as_the_member_types(live_server, page, personas, live_post):
    base = live_server.url
    _sign_in(page, base, personas.ambassador)
    page.goto(f"{base}/o/acme/feed/{live_post.pk}/share/?network=linkedin")
    linkedin, x = _preview(page, "linkedin"), _preview(page, "x")
    assert _text(page, "linkedin") == "Our Q3 report is out.\n\n#job"
    assert "Manon Simon" in x.inner_text()

    text = page.get_by_label("Your text")
    text.fill("")
    text.press_sequentially("My words")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("#JOB")
    # The text carries the disclosure already (case aside): it is not added twice.
    assert _text(page, "linkedin") == "My words\n\n#JOB"
    assert _text(page, "x") == "My words\n\n#JOB\n\n#ad https://news.example.test/q3"
    assert not linkedin.locator("[data-preview-more]").is_visible()

    text.fill(LONG_TEXT)
    assert len(_text(page, "linkedin")) <= 210
    more = linkedin.locator("[data-preview-more]")
    assert more.is_visible() and more.inner_text() == "…see more"
    assert x.locator("[data-preview-over]").is_visible()
    assert not linkedin.locator("[data-preview-over]").is_visible()
    assert_accessible(page)
