"""Every page of every demo role's navigation, on a phone and on a laptop, in French and in English.

For each role, viewport and language the test signs in to the demo organisation, collects the pages of the
navigation (the top bar, the phone's menu, the section tabs and the bottom bar) and opens each one, then one page
of each kind linked from them (a member, a programme, a post...). It fails when
a page or any box on it scrolls sideways, when a navigation link is hidden with no way to reach it, or when axe
finds a serious or critical violation. Screenshots land in ``var/screenshots/`` (or ``RELAIS_SCREENSHOTS``): the
pictures to look at before changing the layout.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from advocacy.models import User
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "relais-demo-2026"  # noqa: S105 - the demo's documented password, for sample data only
ROLES = {
    "admin": "admin@demo.relais.test",
    "editor": "editor@demo.relais.test",
    "approver": "legal@demo.relais.test",
    "manager": "manager@demo.relais.test",
    "ambassador": "ambassador1@demo.relais.test",
}
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
LANGUAGES = ("fr", "en")

# Boxes that scroll sideways, and a document wider than its window. A box that clips (overflow hidden) is not
# counted: what it hides is meant to be hidden, as in a truncated organisation name.
SIDEWAYS_SCRIPT = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.push(`the document: ${root.scrollWidth} px in ${root.clientWidth}`);
  for (const box of document.body.querySelectorAll("*")) {
    const overflow = getComputedStyle(box).overflowX;
    if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth + 1) {
      const name = box.tagName.toLowerCase() + (box.id ? "#" + box.id : "") +
        (box.className && typeof box.className === "string" ? "." + box.className.trim().split(/\\s+/).join(".") : "");
      found.push(`${name}: ${box.scrollWidth} px in ${box.clientWidth}`);
    }
  }
  return found;
}"""

NAV_LINKS = "#site-menu a.nav-link, .section-tabs a.nav-link, .bottom-bar a"
VISIBLE_HREFS_SCRIPT = """(selector) => [...document.querySelectorAll(selector)]
  .filter((link) => link.checkVisibility({ visibilityProperty: true, opacityProperty: true }))
  .map((link) => new URL(link.href).pathname)"""
# One page behind each list (a member, a programme, a post, a share...): the first link of each kind in the page.
DETAIL_LINKS = "main a[href^='/o/demo/']"
NOT_PAGES = re.compile(r"/(connect|callback|csv|media|export)/|/preview/$")
ALL_HREFS_SCRIPT = (
    """(selector) => [...document.querySelectorAll(selector)].map((link) => new URL(link.href).pathname)"""
)


def _screenshot_dir() -> Path:
    folder = Path(os.environ.get("RELAIS_SCREENSHOTS") or Path(settings.BASE_DIR) / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def demo(db):
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
        call_command("seed_demo_content", stdout=quiet)


def _kind(path: str) -> str:
    """Pages of one kind differ by their ids only: ``/o/demo/members/7/`` and ``/o/demo/members/9/``."""
    return re.sub(r"\d+", "N", path)


def _open_menu_if_closed(page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.count() and toggler.is_visible():
        toggler.click()
        page.locator("#site-menu.show").wait_for()


def _reachable(page) -> set[str]:
    """The navigation's pages one can see on this page, the phone's menu opened where there is one."""
    _open_menu_if_closed(page)
    return set(page.evaluate(VISIBLE_HREFS_SCRIPT, NAV_LINKS))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_navigation_fits_and_is_accessible(live_server, new_page, demo, role, viewport, language):
    email = ROLES[role]
    User.objects.filter(email=email).update(language=language)
    page = new_page(viewport=VIEWPORTS[viewport], base_url=live_server.url)
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))

    page.goto("/o/demo/")
    pages = list(dict.fromkeys(page.evaluate(ALL_HREFS_SCRIPT, NAV_LINKS)))
    assert "/o/demo/" in pages

    reachable: set[str] = set()
    problems: list[str] = []
    shots = _screenshot_dir()
    navigation = set(pages)
    kinds = {_kind(path) for path in pages}
    for path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
        assert page.locator("html").get_attribute("lang") == language
        problems += [f"{path} scrolls sideways — {found}" for found in page.evaluate(SIDEWAYS_SCRIPT)]
        name = re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home"
        page.screenshot(path=str(shots / f"{role}-{viewport}-{language}-{name}.png"), full_page=True)
        assert_accessible(page)
        if path in navigation:
            for link in page.evaluate(ALL_HREFS_SCRIPT, DETAIL_LINKS):
                if _kind(link) not in kinds and not NOT_PAGES.search(link):
                    kinds.add(_kind(link))
                    pages.append(link)
        reachable |= _reachable(page)

    hidden = sorted(navigation - reachable)
    assert not hidden, f"navigation links that a {role} cannot reach on a {viewport}: {hidden}"
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_without_a_script(live_server, new_page, demo):
    page = new_page(viewport=VIEWPORTS["phone"], base_url=live_server.url, java_script_enabled=False)
    sign_in(page, live_server.url, ROLES["editor"], DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"/($|\?)"))
    page.goto("/o/demo/")
    calendar = page.locator("#site-menu a.nav-link", has_text=re.compile("Calendar|Calendrier"))
    assert not calendar.is_visible()

    page.locator(".navbar-toggler").click()

    calendar.wait_for(state="visible")
    calendar.click()
    page.wait_for_url(re.compile(r"/o/demo/calendar/$"))
