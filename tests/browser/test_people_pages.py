"""The organisation's people pages on a phone and on a desktop: members, programmes and API tokens fit the window
(issue 11: the programme page was 707 px wide at 390 px), pass axe, and confirm destructive actions in a dialog."""

import re

import pytest

from advocacy.models import ProgrammeMember
from advocacy.tenancy import organization_scope
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD, ApiTokenFactory, ProgrammeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# The acceptance test's rule: neither the document nor any box that scrolls sideways is wider than it shows.
SIDEWAYS = """() => {
  const boxes = [...document.querySelectorAll('*')].filter(element => {
    const overflow = getComputedStyle(element).overflowX;
    return (overflow === 'auto' || overflow === 'scroll') && element.scrollWidth > element.clientWidth;
  }).map(element => element.tagName + '.' + element.className);
  return {document: document.documentElement.scrollWidth - window.innerWidth, boxes};
}"""


@pytest.fixture
def programme(personas):
    organization = personas.organization
    with organization_scope(organization):
        programme = ProgrammeFactory(organization=organization, name="Marque employeur et recrutement international")
        for user in (personas.editor, personas.manager, personas.ambassador):
            ProgrammeMember.objects.create(
                organization=organization,
                programme=programme,
                membership=personas.membership(user),
                is_admin=user == personas.manager,
            )
        ApiTokenFactory(organization=organization, name="Intranet reporting integration")
    return programme


def _pages(personas, programme) -> list[str]:
    target = personas.membership(personas.ambassador)
    return [
        f"/o/acme/programmes/{programme.pk}/",
        "/o/acme/programmes/",
        f"/o/acme/members/{target.pk}/",
        "/o/acme/members/invite/",
        "/o/acme/settings/",
        "/o/acme/settings/api-tokens/",
        "/account/",
        "/",
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_people_pages_fit_the_window_and_pass_axe(live_server, new_page, personas, programme, viewport):
    page = new_page(viewport=viewport)
    sign_in(page, live_server.url, personas.admin.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    for path in _pages(personas, programme):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(SIDEWAYS) == {"document": 0, "boxes": []}, path
        assert page.get_by_role("heading", level=1).count() == 1, path
        assert_accessible(page)


def test_the_programme_members_stack_as_labelled_cards_on_a_phone(live_server, new_page, personas, programme):
    page = new_page(viewport=PHONE)
    sign_in(page, live_server.url, personas.admin.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{live_server.url}/o/acme/programmes/{programme.pk}/")

    rows = page.locator("table.table-stack tbody tr")
    assert rows.count() == 3
    email = rows.first.locator("td[data-label]").first
    assert email.evaluate("cell => getComputedStyle(cell).display") == "block"
    assert email.evaluate("cell => getComputedStyle(cell, '::before').content") == '"E-mail"'


def test_removing_a_member_from_a_programme_is_confirmed_in_a_dialog(live_server, new_page, personas, programme):
    page = new_page(viewport=PHONE)
    sign_in(page, live_server.url, personas.admin.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    page.goto(f"{live_server.url}/o/acme/programmes/{programme.pk}/")
    ambassador = personas.membership(personas.ambassador)

    page.locator(f"a[data-bs-target='#remove-member-{ambassador.pk}']").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert personas.ambassador.display_name in dialog.inner_text()
    dialog.get_by_role("button", name="Remove from the programme").click()

    page.wait_for_url(f"{live_server.url}/o/acme/programmes/{programme.pk}/")
    with organization_scope(personas.organization):
        assert not ProgrammeMember.objects.filter(programme=programme, membership=ambassador).exists()


def test_an_outsider_does_not_see_the_programme(live_server, new_page, personas, programme):
    page = new_page(viewport=PHONE)
    sign_in(page, live_server.url, personas.outsider.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    response = page.goto(f"{live_server.url}/o/acme/programmes/{programme.pk}/")

    assert response is not None and response.status == 404
