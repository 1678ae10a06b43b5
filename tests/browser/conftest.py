"""Playwright against Debian's Chromium (no browser download), driving the real app on pytest-django's live
server. Playwright's sync API runs an event loop in this thread, so Django's async-safety guard is lifted for
these tests only: the ORM calls made here run in the test thread, as in any other test.

Every page opened through ``page`` or ``new_page`` is watched for Content-Security-Policy violations in the
browser's console: one is enough to fail the test."""

import os
import shutil

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str:
    path = os.environ.get("RELAIS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Debian's chromium is required for browser tests: apt-get install chromium")
    return path


@pytest.fixture(scope="session")
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class CSPViolations:
    """The Content-Security-Policy violations Chromium reports in the console of the watched contexts' pages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, context) -> None:
        context.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text:
            where = message.page.url if message.page else "?"
            self.messages.append(f"{where}: {message.text}")

    def take(self) -> list[str]:
        """The violations so far, forgotten: for a test that provokes one on purpose."""
        taken, self.messages = self.messages, []
        return taken

    def assert_none(self) -> None:
        assert not self.messages, "Content-Security-Policy violations in the browser console:\n" + "\n".join(
            self.messages
        )


@pytest.fixture
def csp_violations():
    violations = CSPViolations()
    yield violations
    violations.assert_none()


@pytest.fixture
def page(browser, csp_violations):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    csp_violations.watch(context)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser, csp_violations):
    """Open further, independent browser sessions (another person) within one test."""
    contexts = []

    def make(**options):
        context = browser.new_context(locale="en-GB", **options)
        context.set_default_timeout(15_000)
        csp_violations.watch(context)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def assert_accessible(page) -> None:
    """axe-core: no serious or critical violation on the page as it stands."""
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}" for v in blocking
    )
    assert not blocking, f"axe found serious/critical violations on {page.url}:\n{details}"
