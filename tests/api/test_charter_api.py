"""``/api/v1/o/<org>/charter/``: the current charter and the caller's standing, accepting and leaving it, the
published versions, and the acceptance report."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from advocacy.models import Membership, User
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter import services
from charter.models import CharterAcceptance
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

BASE = "/api/v1/o/acme/charter/"
ACCEPT = f"{BASE}accept/"
LEAVE = f"{BASE}leave/"
VERSIONS = f"{BASE}versions/"
REPORT = f"{BASE}report/"


def publish(organization, *, title="Our charter", body="## Respect\n\nBe **kind**.", requires=True, summary=""):
    with organization_scope(organization):
        draft = services.charter_draft_save(
            organization=organization,
            by=None,
            title=title,
            body=body,
            summary_of_changes=summary,
            requires_reacceptance=requires,
        )
        return services.charter_publish(version=draft, by=None)


def accept(personas, user, version):
    with organization_scope(personas.organization):
        membership = Membership.objects.get(user=user)
        return services.charter_accept(membership=membership, version=version, ip="192.0.2.1", user_agent="test")


@pytest.fixture
def charter(personas):
    return publish(personas.organization)


def test_the_charter_shows_the_current_version_rendered_and_my_standing(personas, charter):
    response = client_for(personas.ambassador).get(BASE)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["current"]["id"], body["current"]["number"]) == (charter.pk, 1)
    assert "<strong>kind</strong>" in body["current"]["html"]
    assert body["status"]["state"] == "not_joined"
    assert body["status"]["can_share"] is False
    assert body["status"]["message"]
    assert body["status"]["accepted_version"] is None


def test_the_charter_html_is_sanitised(personas):
    publish(personas.organization, body="<script>alert(1)</script> [x](javascript:alert(1))")
    html = client_for(personas.ambassador).get(BASE).json()["current"]["html"]
    assert "<script" not in html
    assert 'href="javascript' not in html


def test_before_any_publication_current_is_null(personas):
    body = client_for(personas.ambassador).get(BASE).json()
    assert body["current"] is None
    assert (body["status"]["state"], body["status"]["can_share"]) == ("no_charter", False)


def test_accepting_records_the_version_and_a_digest_of_ip_and_user_agent(personas, charter):
    client = client_for(personas.ambassador)
    response = client.post(
        ACCEPT, {"version": charter.pk}, format="json", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Firefox/130"
    )
    assert response.status_code == 200, response.json()
    status = response.json()["status"]
    assert (status["state"], status["can_share"], status["accepted_version"]) == ("accepted", True, 1)
    with organization_scope(personas.organization):
        acceptance = CharterAcceptance.objects.get()
    assert acceptance.membership.user_id == personas.ambassador.pk
    assert acceptance.version_id == charter.pk
    assert acceptance.client_digest == hashlib.sha256(b"203.0.113.9|Firefox/130").hexdigest()
    assert "203.0.113.9" not in acceptance.client_digest


def test_accepting_an_old_version_is_refused(personas, charter):
    publish(personas.organization, title="v2", summary="New rules on confidentiality")
    response = client_for(personas.ambassador).post(ACCEPT, {"version": charter.pk}, format="json")
    assert_json_error(response, 400)
    assert response.json()["code"] == "not_current"
    with organization_scope(personas.organization):
        assert not CharterAcceptance.objects.exists()


def test_a_version_of_another_organisation_is_a_field_error_and_records_nothing(personas, charter):
    """T6."""
    foreign = publish(personas.other_organization)
    response = client_for(personas.ambassador).post(ACCEPT, {"version": foreign.pk}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["version"]
    with organization_scope(personas.organization):
        assert not CharterAcceptance.objects.exists()
    with organization_scope(personas.other_organization):
        assert not CharterAcceptance.objects.exists()


def test_a_draft_cannot_be_accepted(personas, charter):
    with organization_scope(personas.organization):
        draft = services.charter_draft_save(organization=personas.organization, by=None, title="Next", body="Text")
    response = client_for(personas.ambassador).post(ACCEPT, {"version": draft.pk}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["version"]


def test_accept_ignores_read_only_fields(personas, charter):
    """T9: the standing comes from the service, never from the body."""
    body = {"version": charter.pk, "state": "accepted", "membership": 1, "accepted_at": "2000-01-01T00:00:00Z"}
    response = client_for(personas.ambassador).post(ACCEPT, body, format="json")
    assert response.status_code == 200
    with organization_scope(personas.organization):
        acceptance = CharterAcceptance.objects.get()
    assert acceptance.membership.user_id == personas.ambassador.pk
    assert acceptance.accepted_at.year > 2000


def test_accept_without_a_version_is_a_field_error(personas, charter):
    response = client_for(personas.ambassador).post(ACCEPT, {}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["version"]


def test_leaving_closes_sharing_and_leaving_twice_is_refused(personas, charter):
    accept(personas, personas.ambassador, charter)
    client = client_for(personas.ambassador)
    response = client.post(LEAVE)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"]["state"], response.json()["status"]["can_share"]) == ("left", False)
    assert_json_error(client.post(LEAVE), 400)


@pytest.mark.parametrize("path", [ACCEPT, LEAVE])
def test_a_token_cannot_accept_or_leave_because_that_is_a_person_s_choice(personas, charter, path):
    response = token_client(make_token(personas.organization, Role.ADMIN)).post(
        path, {"version": charter.pk}, format="json"
    )
    assert_json_error(response, 403)
    with organization_scope(personas.organization):
        assert not CharterAcceptance.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_a_token_reads_the_charter_and_its_versions_without_a_standing(personas, charter, role):
    client = token_client(make_token(personas.organization, role))
    body = client.get(BASE).json()
    assert (body["current"]["id"], body["status"]) == (charter.pk, None)
    assert [row["id"] for row in client.get(VERSIONS).json()["results"]] == [charter.pk]


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_accepts_and_lists_versions(personas, charter, role):
    client = client_for(getattr(personas, role.value))
    assert client.get(BASE).status_code == 200
    assert client.get(VERSIONS).status_code == 200
    assert client.post(ACCEPT, {"version": charter.pk}, format="json").status_code == 200


def test_versions_list_published_versions_newest_first_and_no_drafts(personas, charter):
    second = publish(personas.organization, title="v2", summary="Minor wording", requires=False)
    with organization_scope(personas.organization):
        services.charter_draft_save(organization=personas.organization, by=None, title="Draft", body="Secret draft")
    publish(personas.other_organization, title="Globex charter")
    rows = client_for(personas.ambassador).get(VERSIONS).json()["results"]
    assert [(row["id"], row["number"]) for row in rows] == [(second.pk, 2), (charter.pk, 1)]
    assert rows[0]["summary_of_changes"] == "Minor wording"
    assert rows[0]["requires_reacceptance"] is False
    assert "<h2>" in rows[1]["html"]


def test_session_accept_without_csrf_token_is_refused(personas, charter):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.ambassador)
    assert_json_error(client.post(ACCEPT, {"version": charter.pk}, format="json"), 403)
    assert_json_error(client.post(LEAVE), 403)
    with organization_scope(personas.organization):
        assert not CharterAcceptance.objects.exists()


def test_anonymous_gets_401(personas, charter):
    for method, path in [("get", BASE), ("post", ACCEPT), ("post", LEAVE), ("get", VERSIONS), ("get", REPORT)]:
        assert_json_error(getattr(APIClient(), method)(path, {"version": charter.pk}, format="json"), 401)


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas, charter):
    client = client_for(personas.outsider)
    for method, path in [("get", BASE), ("post", ACCEPT), ("post", LEAVE), ("get", VERSIONS), ("get", REPORT)]:
        body = {"version": charter.pk}
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert not CharterAcceptance.objects.exists()


# --- The acceptance report -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_read_the_report(personas, charter, role):
    accept(personas, personas.ambassador, charter)
    response = client_for(getattr(personas, role.value)).get(REPORT)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 5
    rows = {row["email"]: row for row in body["results"]}
    assert set(rows) == {f"{r.value}@acme.test" for r in Role}
    ambassador = rows["ambassador@acme.test"]
    assert (ambassador["version"], ambassador["state"], ambassador["role"]) == (1, "accepted", "ambassador")
    assert ambassador["accepted_at"]
    assert (rows["editor@acme.test"]["version"], rows["editor@acme.test"]["state"]) == (None, "not_joined")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.APPROVER, Role.AMBASSADOR])
def test_other_roles_cannot_read_the_report(personas, charter, role):
    assert_json_error(client_for(getattr(personas, role.value)).get(REPORT), 403)


@pytest.mark.parametrize(("role", "code"), [(Role.ADMIN, 200), (Role.MANAGER, 200), (Role.EDITOR, 403)])
def test_report_with_tokens_by_role(personas, charter, role, code):
    response = token_client(make_token(personas.organization, role)).get(REPORT)
    assert response.status_code == code


def test_report_against_an_older_version_and_a_foreign_version(personas, charter):
    accept(personas, personas.ambassador, charter)
    publish(personas.organization, title="v2")
    admin = client_for(personas.admin)
    rows = {row["email"]: row for row in admin.get(REPORT).json()["results"]}
    assert rows["ambassador@acme.test"]["state"] == "must_reaccept"
    rows = {row["email"]: row for row in admin.get(REPORT, {"version": charter.pk}).json()["results"]}
    assert rows["ambassador@acme.test"]["state"] == "accepted"
    foreign = publish(personas.other_organization)
    response = admin.get(REPORT, {"version": foreign.pk})
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["version"]


def _seed_members(organization, count, prefix, version=None):
    with organization_scope(organization):
        users = User.objects.bulk_create(
            User(email=f"{prefix}{n}@example.test", full_name=f"{prefix} {n:05d}") for n in range(count)
        )
        memberships = Membership.objects.bulk_create(
            Membership(organization=organization, user=user, role=Role.AMBASSADOR) for user in users
        )
        if version is not None:
            CharterAcceptance.objects.bulk_create(
                CharterAcceptance(
                    organization=organization,
                    membership=membership,
                    version=version,
                    accepted_at=version.published_at,
                    client_digest="0" * 64,
                )
                for membership in memberships[::2]
            )


def test_the_report_runs_a_bounded_number_of_queries(personas, charter):
    """2 organisations × 2,000 members: a page costs what a page of the personas costs."""
    accept(personas, personas.ambassador, charter)  # the small page reads acceptances too
    admin = client_for(personas.admin)
    with CaptureQueriesContext(connection) as small:
        assert admin.get(REPORT).json()["count"] == 5
    _seed_members(personas.organization, 1995, "acme", version=charter)
    globex_charter = publish(personas.other_organization)
    _seed_members(personas.other_organization, 1999, "globex", version=globex_charter)
    with CaptureQueriesContext(connection) as large:
        body = admin.get(REPORT).json()
    assert body["count"] == 2000
    assert len(body["results"]) == 50
    assert all(row["email"].endswith(("@acme.test", "@example.test")) for row in body["results"])
    assert not any(row["email"].startswith("globex") for row in body["results"])
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 12, [q["sql"] for q in large.captured_queries]
