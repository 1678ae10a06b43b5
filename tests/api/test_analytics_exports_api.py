"""``/api/v1/o/<org>/analytics/exports/``: a table streamed as the page's file up to the synchronous limit, a 202 with
a background export beyond it (the same one when asked again), the caller's own exports only, a bad table, format or
period as a 400 with the field's reason, the page's permission (ambassadors 403, tokens 403: an export is a person's),
the outsider's 404 and a bounded number of queries."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from advocacy.models import ApiToken
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from analytics.models import Export
from analytics.tasks import build_export
from tests.analytics.test_dashboard import world  # noqa: F401 - the dashboard's figures, for the exports too
from tests.api.conftest import client_for
from tests.conftest import org_url
from tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/o/acme/analytics/exports/"
MAY = {"start": "2026-05-01", "end": "2026-05-31"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def over_limit(settings):
    settings.RELAIS_EXPORT_SYNC_ROWS = 2


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _export(organization, membership, *, table="detailed", status=Export.Status.QUEUED, days=1) -> Export:
    with organization_scope(organization):
        return Export.objects.create(
            organization=organization,
            requested_by=membership,
            table=table,
            file_format=Export.Format.CSV,
            filters={**MAY, "programme": None, "topic": None, "network": ""},
            status=status,
            expires_at=timezone.now() + timedelta(days=days),
        )


def test_a_small_table_is_streamed_as_the_pages_csv(personas, world):  # noqa: F811
    client = client_for(personas.manager)
    # A client asks for the file by its type: the format parameter chooses it, not DRF's renderers.
    response = client.get(f"{BASE}topics/", {**MAY, "format": "csv"}, HTTP_ACCEPT="text/csv", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-topics-2026-05-01-2026-05-31.csv"'
    text = _body(response).decode("utf-8")
    page = client.get(org_url("analytics_export", personas), {**MAY, "table": "topics", "format": "csv"})
    assert text == _body(page).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == "Topic" and next(row for row in rows if row[0] == "People")[1] == "4"


def test_without_a_format_the_file_is_xlsx(personas, world):  # noqa: F811
    response = client_for(personas.manager).get(f"{BASE}detailed/", MAY, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(_body(response)))
    assert len(list(book["Detail"].iter_rows(values_only=True))) == 4


def test_a_large_table_is_a_202_with_its_background_export(
    personas,
    world,  # noqa: F811
    over_limit,
    django_capture_on_commit_callbacks,
):
    client = client_for(personas.manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(f"{BASE}detailed/", {**MAY, "format": "csv"})

    assert response.status_code == 202
    assert len(callbacks) == 1  # the task, enqueued once the export is saved
    with organization_scope(personas.organization):
        export = Export.objects.get()
    assert (export.requested_by.user, export.table, export.file_format, export.rows_total) == (
        personas.manager,
        "detailed",
        "csv",
        3,
    )
    body = response.json()
    assert body["id"] == export.pk
    assert (body["status"], body["progress"], body["download_url"]) == ("queued", 0, None)
    assert body["url"] == f"http://testserver{BASE}{export.pk}/" == response["Location"]
    assert body["filters"] == {**MAY, "programme": None, "topic": None, "network": ""}

    # Asked again (a GET may be retried): the same export, not a second file.
    again = client.get(f"{BASE}detailed/", {**MAY, "format": "csv"})
    assert again.status_code == 202 and again.json()["id"] == export.pk
    with organization_scope(personas.organization):
        assert Export.objects.count() == 1


def test_a_ready_export_gives_its_download_url(
    personas,
    world,  # noqa: F811
    over_limit,
    django_capture_on_commit_callbacks,
):
    client = client_for(personas.manager)
    with django_capture_on_commit_callbacks(execute=False):
        export_id = client.get(f"{BASE}detailed/", {**MAY, "format": "csv"}).json()["id"]
    build_export(organization_id=personas.organization.pk, export_id=export_id)

    body = client.get(f"{BASE}{export_id}/").json()
    download_url = org_url("analytics_export_download", personas, export_id)
    assert (body["status"], body["progress"], body["rows_done"]) == ("done", 100, 3)
    assert body["download_url"] == f"http://testserver{download_url}"
    download = client.get(download_url)
    assert download.status_code == 200 and _body(download).count(b"\n") == 4


def test_the_list_holds_the_callers_own_exports_newest_first(personas):
    manager = personas.membership(personas.manager)
    older = _export(personas.organization, manager, table="network")
    newer = _export(personas.organization, manager, status=Export.Status.DONE)
    _export(personas.organization, personas.membership(personas.admin))
    with organization_scope(personas.other_organization):
        spy = personas.other_organization.memberships.get(user=personas.outsider)
    _export(personas.other_organization, spy)

    body = client_for(personas.manager).get(BASE).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["download_url"] is None  # done, but never written: no file to hand over


def test_another_members_or_organisations_export_is_a_404(personas):
    theirs = _export(personas.organization, personas.membership(personas.admin))
    with organization_scope(personas.other_organization):
        spy = personas.other_organization.memberships.get(user=personas.outsider)
    elsewhere = _export(personas.other_organization, spy)
    client = client_for(personas.manager)

    assert client.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert client.get(f"{BASE}{elsewhere.pk}/").status_code == 404
    assert client_for(personas.admin).get(f"{BASE}{theirs.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("table", "query", "field", "message"),
    [
        ("passwords", {}, "table", "“passwords” is not a table of the dashboard: choose one of everything, network"),
        ("network", {"format": "pdf"}, "format", "“pdf” is not a file format: choose csv or xlsx."),
        ("everything", {"format": "csv"}, "format", "A CSV file holds one table"),
        ("network", {"start": "2026-05-31", "end": "2026-05-01"}, "end", "The period ends before it starts"),
        ("network", {"start": "2024-01-01", "end": "2026-05-01"}, "start", "A period covers two years at most"),
    ],
)
def test_a_bad_table_format_or_period_is_a_400_with_the_fields_reason(personas, table, query, field, message):
    response = client_for(personas.manager).get(f"{BASE}{table}/", query, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["errors"][field][0]
    with organization_scope(personas.organization):
        assert not Export.objects.exists()


def test_the_reason_comes_in_the_callers_language(personas):
    personas.manager.language = "fr"
    personas.manager.save(update_fields=["language"])
    response = client_for(personas.manager).get(f"{BASE}passwords/", {"format": "pdf"})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["table"][0].startswith("« passwords » n’est aucun des tableaux proposés")
    assert errors["format"][0].startswith("« pdf » n’est pas un format de fichier")


@pytest.mark.parametrize("role", ["ambassador", "approver"])
def test_members_without_analytics_get_403_as_on_the_page(personas, role):
    client = client_for(getattr(personas, role))
    assert client.get(org_url("analytics_export", personas), {"table": "network"}).status_code == 403
    for path in (BASE, f"{BASE}network/", f"{BASE}1/"):
        assert client.get(path).status_code == 403, path


def test_a_token_gets_403_since_an_export_is_a_persons(personas):
    with organization_scope(personas.organization):
        ApiTokenFactory(organization=personas.organization, role=Role.ADMIN, token_digest=ApiToken.digest("rls_admin"))
    client = client_for(personas.manager)
    client.logout()
    client.credentials(HTTP_AUTHORIZATION="Bearer rls_admin")
    assert client.get(f"{BASE}network/", MAY).status_code == 403
    assert client.get(BASE).status_code == 403


def test_the_outsider_gets_404(personas, world):  # noqa: F811
    mine = _export(personas.organization, personas.membership(personas.manager))
    client = client_for(personas.outsider)
    for path in (BASE, f"{BASE}network/", f"{BASE}{mine.pk}/"):
        assert client.get(path, MAY).status_code == 404, path


def test_the_list_takes_a_bounded_number_of_queries(personas, django_assert_max_num_queries):
    manager = personas.membership(personas.manager)
    for _ in range(3):
        _export(personas.organization, manager)
    client = client_for(personas.manager)
    client.get(BASE)  # warm the session and the site's caches
    for _ in range(30):
        _export(personas.organization, manager)

    with django_assert_max_num_queries(8):
        response = client.get(BASE)
    assert response.json()["count"] == 33
