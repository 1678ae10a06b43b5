"""A manager on the demo organisation's dashboard, in a real Chromium: the charts drawn and their tables filled, the
period and the programme changed (figures and tables follow), an XLSX export downloaded and read back with openpyxl;
axe on the dashboard and on "my impact", nothing scrolling sideways at 390 px."""

import os
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from advocacy.models import Organization, Programme
from advocacy.tenancy import organization_scope
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import DEMO_PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGER = "manager@demo.relais.test"
AMBASSADOR = "ambassador1@demo.relais.test"
SIDEWAYS = "document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def demo_history():
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
        call_command("seed_demo_content", stdout=quiet)
        call_command("seed_demo_history", "--days", "60", stdout=quiet)


def _drawn_charts(page) -> int:
    """Canvases Chart.js has drawn on (it gives each one a chart instance)."""
    page.wait_for_function("() => typeof Chart !== 'undefined'")
    return page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')].filter((c) => Chart.getChart(c)).length"
    )


def test_a_manager_reads_filters_and_exports_the_dashboard(live_server, page, demo_history, tmp_path):
    sign_in(page, live_server.url, MANAGER, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/o/demo/analytics/")

    assert page.get_by_role("heading", name=re.compile("Dashboard|Tableau de bord")).is_visible()
    assert _drawn_charts(page) >= 5
    shares_before = page.locator(".stat-tile .stat-value").first.inner_text()
    rows_before = page.locator("section[aria-labelledby=kpi-over-time] tbody tr").count()
    assert rows_before == 28  # one row per day of the default 28 days
    assert_accessible(page)

    # The last 90 days: weeks instead of days, more shares.
    page.get_by_role("link", name=re.compile("90")).first.click()
    page.wait_for_url(re.compile(r"start="))
    assert _drawn_charts(page) >= 5
    weeks = page.locator("section[aria-labelledby=kpi-over-time] tbody tr").count()
    assert 13 <= weeks <= 15
    shares_quarter = page.locator(".stat-tile .stat-value").first.inner_text()
    assert int(shares_quarter.replace(",", "").replace("\u202f", "")) >= int(
        shares_before.replace(",", "").replace("\u202f", "")
    )

    # One programme: the figures are that programme's, its name is chosen in the filter.
    demo = Organization.objects.get(slug="demo")
    with organization_scope(demo):
        name = Programme.objects.filter(organization=demo).order_by("name").values_list("name", flat=True)[0]
    filters = page.locator("form.filters")
    filters.get_by_label(re.compile("Programme")).select_option(label=name)
    filters.get_by_role("button", name=re.compile("Filter|Filtrer")).click()
    page.wait_for_url(re.compile(r"programme="))
    assert page.locator("form.filters select[name=programme] option:checked").inner_text() == name
    assert _drawn_charts(page) >= 4
    assert "programme" in page.url and "start=" in page.url

    # Every table as XLSX, for this period and programme.
    page.get_by_role("button", name=re.compile("Download|Télécharger")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Every table \(XLSX\)|Tous les tableaux")).click()
    path = tmp_path / "dashboard.xlsx"
    download.value.save_as(path)
    workbook = load_workbook(path, read_only=True)
    assert len(workbook.sheetnames) >= 5
    rows = list(workbook[workbook.sheetnames[0]].iter_rows(values_only=True))
    assert len(rows) >= 2  # a header and figures


@pytest.mark.parametrize("width", [390, 1280])
def test_the_dashboard_and_my_impact_fit_a_phone_and_pass_axe(live_server, new_page, demo_history, width):
    manager = new_page(viewport={"width": width, "height": 900})
    sign_in(manager, live_server.url, MANAGER, DEMO_PASSWORD)
    manager.goto(f"{live_server.url}/o/demo/analytics/")
    assert _drawn_charts(manager) >= 5
    assert not manager.evaluate(SIDEWAYS)
    assert_accessible(manager)

    ambassador = new_page(viewport={"width": width, "height": 900})
    sign_in(ambassador, live_server.url, AMBASSADOR, DEMO_PASSWORD)
    start = (timezone.localdate() - timedelta(days=59)).isoformat()
    ambassador.goto(f"{live_server.url}/o/demo/analytics/me/?start={start}")
    assert ambassador.get_by_role("heading", name=re.compile("My impact|Mon impact")).is_visible()
    assert not ambassador.evaluate(SIDEWAYS)
    assert_accessible(ambassador)
    # The managers' dashboard is not theirs.
    response = ambassador.goto(f"{live_server.url}/o/demo/analytics/")
    assert response.status == 403
