"""The editorial journey of issue 4 in a real browser: write, count, submit, two approval steps, changes
requested, resubmit, approve, and the post on the calendar."""

import re

import pytest

from advocacy.tenancy import organization_scope
from content import services
from content.models import Post
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_X_TEXT = "Our annual report is out, with every figure explained. " * 6


@pytest.fixture
def two_step_policy(personas):
    """Legal, then Comms; each step names its one approver."""
    organization = personas.organization
    with organization_scope(organization):
        legal = personas.membership(personas.approver)
        comms_user = UserFactory(email="comms@acme.test", full_name="Chloé Comms")
        comms = MembershipFactory(organization=organization, user=comms_user, role="approver")
        services.policy_create(
            organization=organization,
            name="Legal then Comms",
            by=personas.admin,
            is_default=True,
            steps=[
                services.StepInput(name="Legal", approver_ids=(legal.pk,)),
                services.StepInput(name="Comms", approver_ids=(comms.pk,)),
            ],
        )
    return comms_user


def decide(page, base, post_title, button, text=""):
    page.goto(f"{base}/o/acme/approvals/")
    page.get_by_role("link", name=post_title).first.click()
    form = page.locator("form", has=page.get_by_role("button", name=button, exact=True))
    if text:
        form.locator("textarea").fill(text)
    form.get_by_role("button", name=button, exact=True).click()


def test_editor_writes_submits_and_two_approvers_decide(live_server, page, new_page, personas, two_step_policy):
    base = live_server.url
    sign_in(page, base, personas.editor.email, DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto(f"{base}/o/acme/content/")
    assert_accessible(page)
    page.goto(f"{base}/o/acme/content/new/")
    page.get_by_label("Title").fill("Annual report 2026")
    page.get_by_label("Link to share").fill("https://example.com/annual-report")
    linkedin = page.locator("#variants-linkedin textarea")
    linkedin.nth(0).fill("Proud of what we built this year: the annual report.")
    page.locator("#variants-linkedin").get_by_role("button").click()
    page.locator("#variants-linkedin textarea").nth(1).fill("Our 2026 annual report, in five minutes of reading.")
    page.locator("input[name$=publish_at]").fill("2026-12-15T09:00")

    x_text = page.locator("#variants-x textarea").first
    x_counter = page.locator("#variants-x output.char-counter").first
    x_text.fill(LONG_X_TEXT)
    assert "over-limit" in (x_counter.get_attribute("class") or "")
    assert x_text.get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    x_text.fill("The annual report is out: https://example.com/annual-report")
    assert "over-limit" not in (x_counter.get_attribute("class") or "")
    assert x_counter.text_content() == "49 / 280"  # 26 characters, and 23 for the link

    page.get_by_role("button", name="Save the post").click()
    page.get_by_role("button", name="Submit for approval").click()
    with organization_scope(personas.organization):
        post = Post.objects.get(title="Annual report 2026")
        assert post.status == Post.Status.IN_REVIEW
        assert post.variants.count() == 3

    legal = new_page()
    sign_in(legal, base, personas.approver.email, DEFAULT_PASSWORD)
    legal.wait_for_url(re.compile(r"/($|\?)"))
    decide(legal, base, "Annual report 2026", "Approve", "Fine for legal.")

    comms = new_page()
    sign_in(comms, base, two_step_policy.email, DEFAULT_PASSWORD)
    comms.wait_for_url(re.compile(r"/($|\?)"))
    decide(comms, base, "Annual report 2026", "Request changes", "Say 2026 in the title, please.")
    with organization_scope(personas.organization):
        post.refresh_from_db()
        assert post.status == Post.Status.DRAFT

    page.goto(f"{base}/o/acme/content/{post.pk}/")
    assert page.get_by_text("Say 2026 in the title, please.").count() >= 1
    page.goto(f"{base}/o/acme/content/{post.pk}/edit/")
    page.get_by_label("Title").fill("Our 2026 annual report")
    page.get_by_role("button", name="Save the post").click()
    page.get_by_role("button", name="Submit for approval").click()

    decide(legal, base, "Our 2026 annual report", "Approve")
    decide(comms, base, "Our 2026 annual report", "Approve")
    with organization_scope(personas.organization):
        post.refresh_from_db()
        assert post.status == Post.Status.APPROVED

    page.goto(f"{base}/o/acme/calendar/?view=month&date=2026-12-01")
    day = page.locator("td.calendar-day", has=page.locator("time[datetime='2026-12-15']"))
    assert day.locator(f"a[data-post-id='{post.pk}']").text_content() == "Our 2026 annual report"
    # The month is also drawn as a list for phones, hidden at this width: on screen the post shows once.
    assert page.locator(f"a[data-post-id='{post.pk}']:visible").count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    agenda_day = page.locator(".calendar-agenda .calendar-day", has=page.locator("time[datetime='2026-12-15']"))
    assert agenda_day.locator(f"a[data-post-id='{post.pk}']").text_content() == "Our 2026 annual report"
    assert page.locator(f"a[data-post-id='{post.pk}']:visible").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
