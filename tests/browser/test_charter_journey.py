"""The charter journey of issue 5, in a real headless Chromium: an admin publishes version 2 requiring members to
accept again; an ambassador who accepted version 1 opens a page that needs the charter, is shown what changed first,
accepts, and lands where they were going."""

import re

import pytest

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter import services
from charter.compliance import rules_save
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@acme.test"
AMBASSADOR = "ambassador@acme.test"
V2_BODY = "## Respect\n\nBe kind and honest.\n\n## Disclosure\n\nSay you work here."
SUMMARY = "Members must now say they work for Acme in every post."


@pytest.fixture
def acme_with_v1_accepted():
    organization = OrganizationFactory(slug="acme", name="Acme", language="en")
    admin, ambassador = UserFactory(email=ADMIN), UserFactory(email=AMBASSADOR)
    with organization_scope(organization):
        MembershipFactory(organization=organization, user=admin, role=Role.ADMIN)
        membership = MembershipFactory(organization=organization, user=ambassador, role=Role.AMBASSADOR)
        draft = services.charter_draft_save(
            organization=organization, by=admin, title="Acme charter", body="## Respect\n\nBe kind and honest."
        )
        v1 = services.charter_publish(version=draft, by=admin)
        services.charter_accept(membership=membership, version=v1, ip="127.0.0.1", user_agent="setup")
        rules_save(organization=organization, by=admin, blocked_phrases="résultats trimestriels")
    return organization


def test_an_ambassador_accepts_version_2_before_using_a_page_that_needs_the_charter(
    live_server, page, new_page, acme_with_v1_accepted
):
    base = live_server.url
    sign_in(page, base, ADMIN, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    page.goto(f"{base}/o/acme/charter/edit/")
    page.get_by_label("Text (Markdown)").fill(V2_BODY)
    page.get_by_label("Summary of changes").fill(SUMMARY)
    page.get_by_label("Members must accept again").check()
    page.get_by_role("button", name="Publish…").click()
    page.get_by_role("button", name="Publish this version").click()
    page.wait_for_url(re.compile(r"/o/acme/charter/$"))
    page.get_by_text("Version 2 of the charter is published.").wait_for()
    assert page.get_by_role("heading", name="Disclosure").is_visible()
    assert_accessible(page)

    member = new_page(viewport={"width": 390, "height": 844})  # a phone
    sign_in(member, base, AMBASSADOR, DEFAULT_PASSWORD)
    member.wait_for_url(re.compile(r"/($|\?)"))
    member.goto(f"{base}/o/acme/compliance/try/")
    member.wait_for_url(re.compile(r"/o/acme/charter/accept/\?next="))
    changes = member.get_by_role("heading", name="What changed in version 2")
    assert changes.is_visible() and member.get_by_text(SUMMARY).is_visible()
    body = member.content()
    assert body.index(SUMMARY) < body.index("Say you work here.")  # the changes come before the text
    assert_accessible(member)
    member.get_by_label(re.compile("I have read the charter")).check()
    member.get_by_role("button", name="Accept version 2 and join").click()
    member.wait_for_url(re.compile(r"/o/acme/compliance/try/$"))
    member.get_by_text("you accepted the charter").wait_for()

    # Where they were going: the live check the share composer uses flags a blocked phrase as they type.
    member.get_by_label("Your text").press_sequentially("Nos RESULTATS trimestriels arrivent")
    flagged = member.locator("#try-result mark")
    flagged.wait_for()
    assert flagged.inner_text() == "RESULTATS trimestriels"
