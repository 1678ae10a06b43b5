"""Dashboard exports: the files hold the dashboard's own figures (an unknown figure empty, never 0), the CSV is streamed
with the reader's separators, a 200k-row detail is written in bounded memory, an export over the synchronous limit is
prepared in the background with its progress and a download for the member who asked only, expired files are deleted,
queries do not grow with rows, and who may export (the outsider gets a 404)."""

import csv
import io
import tracemalloc
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.utils import timezone

from advocacy.tenancy import organization_scope
from ambassadors.models import Notification
from analytics.dashboard import Filters, Period, headline, over_time, stats
from analytics.exports import csv_lines, detailed, sheets, write_xlsx
from analytics.models import DailyStat, Export
from analytics.tasks import build_export, delete_expired_exports
from content.models import Post
from tests.analytics.test_dashboard import MAY, MAY_1, world  # noqa: F401 - the dashboard's figures
from tests.conftest import org_url
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

MAY_QUERY = {"start": "2026-05-01", "end": "2026-05-31"}


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _export(client: Client, personas, **query):
    return client.get(org_url("analytics_export", personas), {**MAY_QUERY, **query})


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _workbook(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_xlsx_of_every_table_holds_the_dashboards_figures(personas, world):  # noqa: F811
    response = _export(_client(personas.manager), personas, table="everything", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="acme-everything-2026-05-01-2026-05-31')
    book = _workbook(_body(response))
    assert book.sheetnames == [
        "By network",
        "Over time",
        "Adoption",
        "Adoption per programme",
        "Topics",
        "Top posts",
        "Programmes compared",
    ]
    with organization_scope(personas.organization):
        figures = headline(personas.organization, Filters(MAY)).by_network
        buckets = over_time(personas.organization, Filters(MAY))
    by_network = {row[0]: row[1:] for row in _rows(book["By network"])[1:]}
    linkedin, x = figures["linkedin"], figures["x"]
    assert by_network["LinkedIn"] == [
        linkedin.shares,
        linkedin.clicks,
        linkedin.unique_clicks,
        10,
        None,  # comments: given by no network, an empty cell and not 0
        None,
        None,  # impressions: LinkedIn gave none in May
        None,
    ]
    assert by_network["X"][:4] == [x.shares, x.clicks, x.unique_clicks, 5]
    assert by_network["X"][6] == 900
    over = _rows(book["Over time"])
    assert over[0][:3] == ["Period starting", "Network", "Shares"]
    assert len(over) - 1 == len(buckets) * 2
    assert sum(row[2] for row in over[1:]) == linkedin.shares + x.shares
    # A day without a share has 0 engagement, as on the page; a day with shares and no figure given stays empty.
    may_4_x = next(row for row in over[1:] if row[0].date() == MAY_1 + timedelta(days=3) and row[1] == "X")
    assert may_4_x[5] == 5 and may_4_x[6] == 900
    topics = {row[0]: row[1:] for row in _rows(book["Topics"])[1:]}
    assert topics["People"][0] == 4 and topics["Product"][0] == 1
    posts = [row[0] for row in _rows(book["Top posts"])[1:]]
    assert posts == ["Post 1", "Post 0"]


def test_the_csv_is_streamed_with_a_byte_order_mark_and_the_readers_separators(personas, world):  # noqa: F811
    english = _export(_client(personas.manager), personas, table="topics", format="csv")
    assert english.status_code == 200 and english.streaming
    assert english["Content-Type"] == "text/csv; charset=utf-8"
    text = _body(english).decode("utf-8")
    assert text.startswith("\ufeffTopic,Shares,Part of the shares (%),")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    people = next(row for row in rows if row[0] == "People")
    assert people[1] == "4" and people[2] == "80.0"

    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    french = _body(_export(_client(personas.manager), personas, table="topics", format="csv")).decode("utf-8")
    rows = list(csv.reader(io.StringIO(french.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Thématique"
    people = next(row for row in rows if row[0] == "People")
    assert people[1] == "4" and people[2] == "80,0"


def test_the_detail_has_a_row_per_day_member_and_network_with_unknown_figures_empty(personas, world):  # noqa: F811
    response = _export(_client(personas.manager), personas, table="detailed", format="csv")
    text = _body(response).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    with organization_scope(personas.organization):
        assert len(rows) == stats(personas.organization, Filters(MAY)).count() == 3
    first = rows[0]
    assert first["Day"] == "2026-05-01"
    assert first["Member"] == (personas.ambassador.full_name or personas.ambassador.email)
    assert first["Network"] == "LinkedIn"
    assert first["Shares"] == "3" and first["Clicks"] == "4" and first["Unique clicks"] == "2"
    assert first["Reactions (empty: not given by the network)"] == "10"
    assert first["Impressions (empty: not given by the network)"] == ""


def test_a_title_that_looks_like_a_formula_stays_text(personas, world):  # noqa: F811
    with organization_scope(personas.organization):
        Post.objects.filter(pk=world["posts"][1].pk).update(title='=HYPERLINK("https://evil.test","Click")')
    book = _workbook(_body(_export(_client(personas.manager), personas, table="top_posts", format="xlsx")))
    assert _rows(book["Top posts"])[1][0] == '=HYPERLINK("https://evil.test","Click")'
    raw = openpyxl.load_workbook(
        io.BytesIO(_body(_export(_client(personas.manager), personas, table="top_posts", format="xlsx")))
    )
    assert raw["Top posts"]["A2"].data_type == "s"
    text = _body(_export(_client(personas.manager), personas, table="top_posts", format="csv")).decode()
    assert "'=HYPERLINK" in text


def _many_rows(organization, members, days: int) -> int:
    """``members`` × ``days`` × 2 networks of ``all`` rollup rows, written by the database itself."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_dailystat (organization_id, day, breakdown, membership_id, network, shares, clicks,
                unique_clicks, likes, likes_known, comments, comments_known, reshares, reshares_known, impressions,
                impressions_known, reach, reach_known)
            SELECT %s, %s::date + d, 'all', m, n, 1, 3, 2, CASE WHEN n = 'x' THEN NULL ELSE 4 END, 1, NULL, 0, NULL,
                0, NULL, 0, NULL, 0
            FROM generate_series(0, %s - 1) AS d, unnest(%s::bigint[]) AS m, unnest(ARRAY['linkedin', 'x']) AS n
            """,
            [organization.pk, date(2025, 1, 1), days, [member.pk for member in members]],
        )
        return cursor.rowcount


@pytest.fixture
def crowd(personas):
    """100 members' 1,000 days on two networks: 200,000 detail rows."""
    with organization_scope(personas.organization):
        members = MembershipFactory.create_batch(100, organization=personas.organization)
    assert _many_rows(personas.organization, members, 1000) == 200_000
    return Filters(Period(date(2025, 1, 1), date(2027, 12, 31)))


def _peak(write) -> int:
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_200k_row_detail_is_streamed_in_bounded_memory(personas, crowd):
    lines = 0

    def write() -> None:
        nonlocal lines
        lines = sum(piece.count("\n") for piece in csv_lines(detailed(personas.organization, crowd)))

    with organization_scope(personas.organization):
        peak = _peak(write)
    assert lines == 200_001
    assert peak < 20 * 1024 * 1024, peak


def test_the_xlsx_is_written_in_constant_memory(personas, crowd, tmp_path):
    """openpyxl's write-only mode takes about 0.2 ms a row here, so the XLSX is measured on 20,000 rows and 2,000:
    the peak barely moves with the rows."""
    peaks = []
    for days in (10, 100):
        narrowed = Filters(Period(crowd.period.start, crowd.period.start + timedelta(days=days - 1)))
        with organization_scope(personas.organization), (tmp_path / f"{days}.xlsx").open("wb") as target:
            peaks.append(
                _peak(lambda f=narrowed, t=target: write_xlsx(sheets(personas.organization, f, "detailed"), t))
            )
        book = openpyxl.load_workbook(tmp_path / f"{days}.xlsx", read_only=True)
        assert sum(1 for _row in book["Detail"].iter_rows()) == days * 200 + 1
    assert peaks[1] < 50 * 1024 * 1024
    # 18,000 more rows held in a list would take well over 10 MB.
    assert peaks[1] - peaks[0] < 4 * 1024 * 1024, peaks


def test_queries_do_not_grow_with_the_rows(personas, world, django_assert_max_num_queries):  # noqa: F811
    client = _client(personas.manager)
    with django_assert_max_num_queries(30):
        response = _export(client, personas, table="everything", format="xlsx")
    assert response.status_code == 200
    for days in (1, 40):
        with organization_scope(personas.organization):
            DailyStat.objects.filter(day__year=2025).delete()
            _many_rows(personas.organization, [personas.membership(personas.editor)], days)
        with django_assert_max_num_queries(12):
            body = _body(_export(client, personas, table="detailed", format="csv", start="2025-01-01"))
        assert body.count(b"\n") > days


@pytest.fixture
def over_limit(settings):
    settings.RELAIS_EXPORT_SYNC_ROWS = 2


def _ask_in_background(client, personas, django_capture_on_commit_callbacks, **query):
    page = _export(client, personas, table="detailed", format="xlsx", **query)
    assert page.status_code == 200
    assert "Prepare the file" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"])
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task, enqueued once the export is saved
    with organization_scope(personas.organization):
        export = Export.objects.get()
    assert response["Location"] == org_url("analytics_export_status", personas, export.pk)
    return export


def test_an_export_over_the_limit_is_prepared_in_the_background(
    personas,
    world,  # noqa: F811
    over_limit,
    django_capture_on_commit_callbacks,
):
    client = _client(personas.manager)
    export = _ask_in_background(client, personas, django_capture_on_commit_callbacks)
    assert (export.status, export.rows_total, export.requested_by.user) == ("queued", 3, personas.manager)
    assert export.filters == {
        "start": "2026-05-01",
        "end": "2026-05-31",
        "programme": None,
        "topic": None,
        "network": "",
    }
    status_url = org_url("analytics_export_status", personas, export.pk)
    waiting = client.get(status_url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in waiting.content.decode() and "<html" not in waiting.content.decode()

    assert build_export(organization_id=personas.organization.pk, export_id=export.pk) == {"outcome": "written"}
    # Run twice (a redelivered message): nothing written again.
    assert build_export(organization_id=personas.organization.pk, export_id=export.pk) == {"outcome": "already claimed"}
    export.refresh_from_db()
    assert (export.status, export.rows_done, export.percent) == ("done", 3, 100)
    assert export.stored_name.startswith(f"org/{personas.organization.pk}/exports/")
    ready = client.get(status_url).content.decode()
    download_url = org_url("analytics_export_download", personas, export.pk)
    assert download_url in ready and "hx-trigger" not in ready
    with organization_scope(personas.organization):
        notice = Notification.objects.get(membership=export.requested_by)
    assert notice.kind == "export_ready" and notice.url == status_url

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="acme-detailed-2026-05-01-2026-05-31.xlsx"'
    detail = _rows(_workbook(_body(download))["Detail"])
    assert len(detail) == 4 and detail[1][3:6] == [3, 4, 2]
    # Not under a public media address either.
    media = client.get(f"/o/acme/media/{export.stored_name.split('/', 2)[2]}")
    assert media.status_code == 404


def test_only_the_member_who_asked_downloads_it(
    personas,
    world,  # noqa: F811
    over_limit,
    django_capture_on_commit_callbacks,
):
    export = _ask_in_background(_client(personas.manager), personas, django_capture_on_commit_callbacks)
    build_export(organization_id=personas.organization.pk, export_id=export.pk)
    for name in ("analytics_export_status", "analytics_export_download"):
        url = org_url(name, personas, export.pk)
        assert _client(personas.admin).get(url).status_code == 404  # another manager of the organisation
        assert _client(personas.ambassador).get(url).status_code == 403  # no analytics.view
        assert _client(personas.outsider).get(url).status_code == 404


def test_a_failed_export_says_so(personas, world, settings, django_capture_on_commit_callbacks):  # noqa: F811
    settings.RELAIS_EXPORT_SYNC_ROWS = 0
    client = _client(personas.manager)
    export = _ask_in_background(client, personas, django_capture_on_commit_callbacks, programme=world["sales"].pk)
    with organization_scope(personas.organization):
        world["sales"].delete()
    with pytest.raises(Exception, match="does not exist"):
        build_export(organization_id=personas.organization.pk, export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed"
    assert "This export failed" in client.get(org_url("analytics_export_status", personas, export.pk)).content.decode()
    assert client.get(org_url("analytics_export_download", personas, export.pk)).status_code == 302


def test_expired_exports_are_deleted_with_their_files(
    personas,
    world,  # noqa: F811
    over_limit,
    django_capture_on_commit_callbacks,
):
    client = _client(personas.manager)
    old = _ask_in_background(client, personas, django_capture_on_commit_callbacks)
    build_export(organization_id=personas.organization.pk, export_id=old.pk)
    with organization_scope(personas.organization):
        Export.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        old.refresh_from_db()
    assert default_storage.exists(old.stored_name)
    assert client.get(org_url("analytics_export_download", personas, old.pk)).status_code == 302
    with organization_scope(personas.other_organization):
        other = Export.objects.create(
            organization=personas.other_organization,
            requested_by=personas.other_organization.memberships.get(),
            table="detailed",
            file_format="csv",
            expires_at=timezone.now() + timedelta(days=1),
        )
    assert delete_expired_exports() == 1
    assert not default_storage.exists(old.stored_name)
    with organization_scope(personas.organization):
        assert not Export.objects.filter(pk=old.pk).exists()
    with organization_scope(personas.other_organization):
        assert Export.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-05-10", "end": "2026-05-01"}, "To", "The period ends before it starts"),
        ({"start": "2020-01-01", "end": "2026-05-01"}, "From", "A period covers two years at most"),
        ({"table": "everything", "format": "csv"}, "Format", "A CSV file holds one table"),
        ({"table": "passwords"}, "Table", "“passwords” is not a table of the dashboard: choose one of everything"),
        ({"table": "network", "format": "pdf"}, "Format", "“pdf” is not a file format: choose csv or xlsx."),
        ({}, "Table", "This field is required"),
    ],
)
def test_a_bad_period_or_table_is_a_field_error_never_a_500(personas, query, field, message):
    response = _client(personas.manager).get(org_url("analytics_export", personas), query)
    assert response.status_code == 400
    assert f"{field} : {message}" in response.content.decode()


def test_the_dashboard_offers_the_downloads_for_its_period(personas, world):  # noqa: F811
    page = _client(personas.manager).get(org_url("analytics_dashboard", personas), {**MAY_QUERY, "network": "x"})
    text = page.content.decode()
    assert "/o/acme/analytics/export/?start=2026-05-01&amp;end=2026-05-31&amp;network=x&amp;table=everything" in text
    assert "format=xlsx" in text and "table=detailed&amp;format=csv" in text


@pytest.mark.parametrize("role", ["admin", "editor", "manager"])
def test_admins_editors_and_managers_export(personas, role):
    response = _client(getattr(personas, role)).get(org_url("analytics_export", personas), {"table": "network"})
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["ambassador", "approver"])
def test_ambassadors_may_not_export(personas, role):
    response = _client(getattr(personas, role)).get(org_url("analytics_export", personas), {"table": "network"})
    assert response.status_code == 403


def test_the_outsider_gets_a_404(personas, world):  # noqa: F811
    assert _client(personas.outsider).get(org_url("analytics_export", personas)).status_code == 404
