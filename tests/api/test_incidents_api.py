"""``/api/v1/o/<org>/incidents/``: any member reports a problem; the referent's roles follow it up, change its status
and withdraw its post."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter import incidents
from charter.models import Incident, IncidentEvent
from content import services as content_services
from content.models import Post
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

INCIDENTS = "/api/v1/o/acme/incidents/"
REPORT = {"kind": "abuse", "description": "An abusive reply under my share.", "link": "https://x.example/1"}


def url(incident, action=""):
    return f"{INCIDENTS}{incident.pk}/{action}/" if action else f"{INCIDENTS}{incident.pk}/"


def report(organization, by, **fields):
    values = {"kind": "other", "description": "Something odd.", **fields}
    with organization_scope(organization):
        return incidents.incident_report(organization=organization, by=by, **values)


def approved_post(organization, author, title="Launch"):
    with organization_scope(organization):
        post = content_services.post_create(organization=organization, author=author, title=title)
        Post.objects.filter(pk=post.pk).update(status=Post.Status.APPROVED)  # setup: skip the approval workflow
        post.refresh_from_db()
        return post


@pytest.mark.parametrize("role", list(Role))
def test_any_member_reports_an_incident(personas, role):
    user = getattr(personas, role.value)
    response = client_for(user).post(INCIDENTS, REPORT, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["reported_by"]) == ("abuse", "open", user.pk)
    assert body["organization"] == personas.organization.pk
    assert [event["kind"] for event in body["events"]] == ["reported"]


def test_a_report_ignores_status_and_reporter_in_the_body(personas):
    """T9."""
    body = {**REPORT, "status": "resolved", "reported_by": personas.admin.pk, "organization": 99, "events": []}
    response = client_for(personas.ambassador).post(INCIDENTS, body, format="json")
    assert response.status_code == 201, response.json()
    with organization_scope(personas.organization):
        incident = Incident.objects.get()
    assert (incident.status, incident.reported_by_id) == ("open", personas.ambassador.pk)
    assert incident.organization_id == personas.organization.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**REPORT, "kind": "gossip"}, "kind"),
        ({**REPORT, "description": ""}, "description"),
        ({**REPORT, "link": "javascript:alert(1)"}, "link"),
    ],
)
def test_bad_reports_are_field_errors_and_create_nothing(personas, body, field):
    response = client_for(personas.ambassador).post(INCIDENTS, body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == [field]
    with organization_scope(personas.organization):
        assert not Incident.objects.exists()


def test_a_post_of_another_organisation_is_a_field_error_and_creates_nothing(personas):
    """T6."""
    foreign = approved_post(personas.other_organization, personas.outsider)
    response = client_for(personas.ambassador).post(INCIDENTS, {**REPORT, "post": foreign.pk}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["post"]
    with organization_scope(personas.organization):
        assert not Incident.objects.exists()
    with organization_scope(personas.other_organization):
        assert not Incident.objects.exists()


def test_members_see_their_own_incidents_and_managers_see_all(personas):
    own = report(personas.organization, personas.ambassador)
    other = report(personas.organization, personas.manager)
    report(personas.other_organization, personas.outsider)
    ambassador = client_for(personas.ambassador)
    assert [row["id"] for row in ambassador.get(INCIDENTS).json()["results"]] == [own.pk]
    assert ambassador.get(url(own)).status_code == 200
    assert_json_error(ambassador.get(url(other)), 404)
    for role in (Role.ADMIN, Role.EDITOR):
        rows = client_for(getattr(personas, role.value)).get(INCIDENTS).json()["results"]
        assert sorted(row["id"] for row in rows) == sorted([own.pk, other.pk])


def test_the_list_filters_by_status_and_refuses_an_unknown_one(personas):
    first = report(personas.organization, personas.ambassador)
    second = report(personas.organization, personas.ambassador)
    with organization_scope(personas.organization):
        incidents.incident_set_status(incident=second, by=None, status="resolved")
    admin = client_for(personas.admin)
    assert [row["id"] for row in admin.get(INCIDENTS, {"status": "open"}).json()["results"]] == [first.pk]
    assert [row["id"] for row in admin.get(INCIDENTS, {"status": "resolved"}).json()["results"]] == [second.pk]
    response = admin.get(INCIDENTS, {"status": "forgotten"})
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["status"]


def test_the_referent_changes_the_status_with_a_note(personas):
    incident = report(personas.organization, personas.ambassador)
    response = client_for(personas.editor).patch(
        url(incident), {"status": "in_progress", "note": "Looking into it"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "in_progress"
    assert [(e["kind"], e["text"]) for e in body["events"]][-1] == ("status:in_progress", "Looking into it")


def test_a_note_alone_goes_on_the_timeline(personas):
    incident = report(personas.organization, personas.ambassador)
    response = client_for(personas.admin).patch(url(incident), {"note": "Called the author"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "open"
    assert response.json()["events"][-1]["text"] == "Called the author"


@pytest.mark.parametrize(
    ("body", "field"), [({"status": "forgotten"}, "status"), ({}, "status"), ({"status": "open"}, "status")]
)
def test_bad_status_changes_are_field_errors(personas, body, field):
    incident = report(personas.organization, personas.ambassador)
    response = client_for(personas.admin).patch(url(incident), body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == [field]


def test_patch_cannot_change_what_was_reported(personas):
    """T9 on updates: only the status and a note are accepted."""
    incident = report(personas.organization, personas.ambassador)
    body = {"status": "resolved", "description": "Nothing", "kind": "leak", "reported_by": personas.admin.pk}
    assert client_for(personas.admin).patch(url(incident), body, format="json").status_code == 200
    with organization_scope(personas.organization):
        incident.refresh_from_db()
    assert (incident.status, incident.kind, incident.description) == ("resolved", "other", "Something odd.")
    assert incident.reported_by_id == personas.ambassador.pk


@pytest.mark.parametrize("role", [Role.APPROVER, Role.MANAGER, Role.AMBASSADOR])
def test_other_roles_cannot_change_or_withdraw(personas, role):
    post = approved_post(personas.organization, personas.editor)
    incident = report(personas.organization, getattr(personas, role.value), post=post)
    client = client_for(getattr(personas, role.value))
    assert_json_error(client.patch(url(incident), {"status": "resolved"}, format="json"), 403)
    assert_json_error(client.post(url(incident, "withdraw-post")), 403)
    with organization_scope(personas.organization):
        incident.refresh_from_db()
        post.refresh_from_db()
    assert (incident.status, post.status) == ("open", Post.Status.APPROVED)


def test_withdrawing_the_post_takes_it_off_the_feeds(personas):
    post = approved_post(personas.organization, personas.editor)
    incident = report(personas.organization, personas.ambassador, kind="leak", post=post)
    response = client_for(personas.admin).post(url(incident, "withdraw-post"))
    assert response.status_code == 200, response.json()
    with organization_scope(personas.organization):
        post.refresh_from_db()
        assert IncidentEvent.objects.filter(incident=incident).count() == 2
    assert post.status == Post.Status.WITHDRAWN
    assert_json_error(client_for(personas.admin).post(url(incident, "withdraw-post")), 400)


def test_withdrawing_without_a_post_is_refused(personas):
    incident = report(personas.organization, personas.ambassador)
    assert_json_error(client_for(personas.admin).post(url(incident, "withdraw-post")), 400)


def test_an_incident_of_another_organisation_is_not_found(personas):
    post = approved_post(personas.other_organization, personas.outsider)
    foreign = report(personas.other_organization, personas.outsider, post=post)
    admin = client_for(personas.admin)
    assert_json_error(admin.get(url(foreign)), 404)
    assert_json_error(admin.patch(url(foreign), {"status": "resolved"}, format="json"), 404)
    assert_json_error(admin.post(url(foreign, "withdraw-post")), 404)
    with organization_scope(personas.other_organization):
        foreign.refresh_from_db()
        post.refresh_from_db()
    assert (foreign.status, post.status) == ("open", Post.Status.APPROVED)


@pytest.mark.parametrize(("role", "code"), [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.AMBASSADOR, 403)])
def test_tokens_follow_incidents_by_role(personas, role, code):
    incident = report(personas.organization, personas.ambassador)
    client = token_client(make_token(personas.organization, role))
    assert client.get(INCIDENTS).status_code == code
    assert client.get(url(incident)).status_code == code
    assert client.patch(url(incident), {"status": "in_progress"}, format="json").status_code == code


def test_a_token_cannot_report_because_a_report_is_credited_to_a_person(personas):
    response = token_client(make_token(personas.organization, Role.ADMIN)).post(INCIDENTS, REPORT, format="json")
    assert_json_error(response, 403)
    with organization_scope(personas.organization):
        assert not Incident.objects.exists()


def test_session_report_without_csrf_token_is_refused(personas):
    incident = report(personas.organization, personas.ambassador)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.admin)
    assert_json_error(client.post(INCIDENTS, REPORT, format="json"), 403)
    assert_json_error(client.patch(url(incident), {"status": "resolved"}, format="json"), 403)
    with organization_scope(personas.organization):
        assert Incident.objects.count() == 1


def test_anonymous_gets_401(personas):
    incident = report(personas.organization, personas.ambassador)
    assert_json_error(APIClient().get(INCIDENTS), 401)
    assert_json_error(APIClient().post(INCIDENTS, REPORT, format="json"), 401)
    assert_json_error(APIClient().get(url(incident)), 401)
    assert_json_error(APIClient().post(url(incident, "withdraw-post")), 401)


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas):
    incident = report(personas.organization, personas.ambassador)
    client = client_for(personas.outsider)
    for method, path, body in [
        ("get", INCIDENTS, None),
        ("post", INCIDENTS, REPORT),
        ("get", url(incident), None),
        ("patch", url(incident), {"status": "resolved"}),
        ("post", url(incident, "withdraw-post"), None),
    ]:
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert Incident.objects.get().status == "open"


def _seed(organization, user, count):
    with organization_scope(organization):
        Incident.objects.bulk_create(
            Incident(organization=organization, kind="other", description=f"Problem {n}", reported_by=user)
            for n in range(count)
        )


def test_the_list_runs_a_bounded_number_of_queries(personas):
    """2 organisations × 1,000 incidents: a page costs what a page of 3 costs."""
    admin = client_for(personas.admin)
    _seed(personas.organization, personas.ambassador, 3)
    with CaptureQueriesContext(connection) as small:
        assert admin.get(INCIDENTS).json()["count"] == 3
    _seed(personas.organization, personas.ambassador, 997)
    _seed(personas.other_organization, personas.outsider, 1000)
    with CaptureQueriesContext(connection) as large:
        body = admin.get(INCIDENTS).json()
    assert body["count"] == 1000
    assert len(body["results"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 10, [q["sql"] for q in large.captured_queries]
