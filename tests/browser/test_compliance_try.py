"""The "try a text" box in a real browser: the live check flags a blocked phrase while the ambassador types."""

import re

import pytest

from advocacy.tenancy import organization_scope
from charter.compliance import rules_save
from charter.services import charter_accept
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.charter.factories import publish_charter
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ambassador_with_charter(personas):
    """The ambassador has accepted the charter; the rules block one phrase and add a disclosure on X."""
    organization = personas.organization
    organization.language = "en"
    organization.save()
    with organization_scope(organization):
        version = publish_charter(organization, personas.admin)
        charter_accept(
            membership=personas.membership(personas.ambassador), version=version, ip="127.0.0.1", user_agent="test"
        )
        rules_save(
            organization=organization,
            by=personas.admin,
            blocked_phrases="résultats trimestriels",
            disclosure_x="#employee",
        )
    return personas.ambassador


def test_an_ambassador_sees_a_blocked_phrase_flagged_as_they_type(live_server, page, ambassador_with_charter):
    base = live_server.url
    sign_in(page, base, ambassador_with_charter.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/acme/compliance/try/")
    assert_accessible(page)
    box = page.get_by_label("Your text")
    box.press_sequentially("Nos RESULTATS trimestriels arrivent")

    # No click on "Check": the htmx live check answers after a short pause in the typing.
    mark = page.locator("#try-result mark")
    mark.wait_for()
    assert mark.inner_text() == "RESULTATS trimestriels"
    assert "“RESULTATS trimestriels” is not allowed by the charter." in page.locator("#try-result").inner_text()

    # On X the counter leaves room for the disclosure ("\n\n#employee": 11 of the 280).
    page.get_by_label("Network").select_option("x")
    counter = page.locator("output.char-counter")
    assert counter.count() == 1
    assert counter.inner_text() == "35 / 269"
    page.locator("#try-result").get_by_text("#employee").wait_for()
    assert_accessible(page)
