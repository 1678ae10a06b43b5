"""The browser journeys fail on any Content-Security-Policy violation: proof that the watch sees one, and pages
that no journey visits (the API docs, the sandbox mounted under /sandbox/) rendering without any."""

import re

import pytest

from ambassadors.sandbox import registry
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_page_served_with_an_injected_inline_script_is_reported(live_server, page, csp_violations):
    def inject(route):
        response = route.fetch()
        body = response.text().replace("</body>", "<script>document.title = 'pwned';</script></body>")
        route.fulfill(response=response, body=body)

    page.route(re.compile(r"/accounts/login/$"), inject)
    page.goto(f"{live_server.url}/accounts/login/")

    assert page.title() != "pwned"
    # What the fixture's teardown does at the end of every journey: here, it would fail the test.
    with pytest.raises(AssertionError, match=r"/accounts/login/: .*inline script"):
        csp_violations.assert_none()
    assert len(csp_violations.take()) == 1


def test_an_inline_handler_such_as_hx_on_is_reported(live_server, page, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<button id="bad" onclick="document.title = \\'clicked\\'">x</button>')"""
    )
    page.locator("#bad").click()

    assert page.title() != "clicked"
    violations = csp_violations.take()
    assert violations
    assert all("inline event handler" in violation for violation in violations)


def test_the_api_docs_render_under_the_policy(live_server, page):
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.get_by_text("Relais API").first.wait_for()
    page.locator(".opblock").first.wait_for()


@pytest.fixture
def mounted_sandbox(settings, monkeypatch, live_server):
    settings.RELAIS_SANDBOX_NETWORKS = True
    settings.RELAIS_SITE_URL = live_server.url
    monkeypatch.setattr(registry, "_networks", {})


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_mounted_sandbox_pages_render_under_their_policy(live_server, page, mounted_sandbox, network):
    page.goto(f"{live_server.url}/sandbox/{network}/_sandbox/")
    page.get_by_role("heading").first.wait_for()
    assert "sans-serif" in page.locator("body").evaluate("body => getComputedStyle(body).fontFamily")
    assert_accessible(page)
