"""Who may call the API, and how every refusal looks: JSON, never HTML, and never an oracle for other organisations."""

import pytest
from rest_framework.test import APIClient

from advocacy import services
from advocacy.models import Membership, Programme
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from tests.factories import ProgrammeFactory


def make_token(organization, role=Role.ADMIN, *, revoked=False):
    with organization_scope(organization):
        token, raw = services.api_token_create(organization=organization, name="integration", role=role, by=None)
        if revoked:
            services.api_token_revoke(token=token, by=None)
    return raw


def token_client(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def endpoints(slug, membership_id, programme_id):
    """Every organisation endpoint, as (method, path, body)."""
    base = f"/api/v1/o/{slug}"
    return [
        ("get", f"{base}/members/", None),
        ("get", f"{base}/members/{membership_id}/", None),
        ("patch", f"{base}/members/{membership_id}/", {"role": "editor"}),
        ("delete", f"{base}/members/{membership_id}/", None),
        ("post", f"{base}/members/invite/", {"emails": ["new@acme.test"], "role": "ambassador"}),
        ("get", f"{base}/programmes/", None),
        ("post", f"{base}/programmes/", {"name": "Sales", "slug": "sales"}),
        ("get", f"{base}/programmes/{programme_id}/", None),
        ("patch", f"{base}/programmes/{programme_id}/", {"name": "Renamed"}),
        ("delete", f"{base}/programmes/{programme_id}/", None),
        ("get", f"{base}/programmes/{programme_id}/members/", None),
        ("post", f"{base}/programmes/{programme_id}/members/", {"membership": membership_id, "is_admin": False}),
        ("delete", f"{base}/programmes/{programme_id}/members/{membership_id}/", None),
    ]


@pytest.fixture
def acme_endpoints(personas):
    with organization_scope(personas.organization):
        programme = ProgrammeFactory(organization=personas.organization, name="Tech", slug="tech")
        editor = Membership.objects.get(user=personas.editor)
        services.programme_set_member(programme=programme, membership=editor, is_admin=False, by=None)
    return endpoints("acme", editor.pk, programme.pk)


def call(client, method, path, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert body["message"]


def test_anonymous_gets_401_json_on_every_endpoint(acme_endpoints):
    client = APIClient()
    for method, path, body in acme_endpoints:
        response = call(client, method, path, body)
        assert_json_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_anonymous_gets_401_on_an_unknown_organisation_too(db):
    assert_json_error(APIClient().get("/api/v1/o/no-such-org/members/"), 401)


def test_admin_token_of_the_organisation_reads_members(personas):
    response = token_client(make_token(personas.organization)).get("/api/v1/o/acme/members/")
    assert response.status_code == 200
    assert response.json()["count"] == 5


def test_token_acts_with_its_role_permissions(personas):
    client = token_client(make_token(personas.organization, Role.AMBASSADOR))
    assert_json_error(client.get("/api/v1/o/acme/members/"), 403)
    assert_json_error(client.get("/api/v1/o/acme/programmes/"), 403)
    manager = token_client(make_token(personas.organization, Role.MANAGER))
    assert manager.get("/api/v1/o/acme/members/").status_code == 200
    assert_json_error(manager.post("/api/v1/o/acme/programmes/", {"name": "X", "slug": "x"}, format="json"), 403)


def test_token_writes_through_the_services(personas):
    client = token_client(make_token(personas.organization))
    response = client.post("/api/v1/o/acme/programmes/", {"name": "Sales", "slug": "sales"}, format="json")
    assert response.status_code == 201
    with organization_scope(personas.organization):
        assert Programme.objects.filter(slug="sales").exists()


def test_revoked_token_gets_401(personas):
    client = token_client(make_token(personas.organization, revoked=True))
    assert_json_error(client.get("/api/v1/o/acme/members/"), 401)


def test_unknown_token_gets_401(personas):
    assert_json_error(token_client("rls_not-a-real-token").get("/api/v1/o/acme/members/"), 401)


def test_malformed_authorization_header_gets_401(personas):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert_json_error(client.get("/api/v1/o/acme/members/"), 401)


def test_token_of_another_organisation_is_unknown_here(personas):
    client = token_client(make_token(personas.other_organization))
    assert client.get("/api/v1/o/globex/members/").status_code == 200
    assert_json_error(client.get("/api/v1/o/acme/members/"), 401)


def test_session_authentication_works(personas):
    client = APIClient()
    client.force_login(personas.admin)
    assert client.get("/api/v1/o/acme/members/").status_code == 200


def test_session_write_without_csrf_token_is_refused(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.admin)
    editor = personas.membership(personas.editor)
    assert_json_error(client.patch(f"/api/v1/o/acme/members/{editor.pk}/", {"role": "admin"}, format="json"), 403)
    assert_json_error(client.post("/api/v1/o/acme/programmes/", {"name": "X", "slug": "x"}, format="json"), 403)
    assert personas.membership(personas.editor).role == Role.EDITOR
    with organization_scope(personas.organization):
        assert not Programme.objects.exists()


def test_token_writes_need_no_csrf_token(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(personas.organization)}")
    assert client.post("/api/v1/o/acme/programmes/", {"name": "X", "slug": "x"}, format="json").status_code == 201


def test_outsider_gets_the_same_404_as_for_an_organisation_that_does_not_exist(personas, acme_endpoints):
    client = APIClient()
    client.force_login(personas.outsider)
    missing = endpoints("no-such-org", 1, 1)
    for (method, path, body), (_m, missing_path, _b) in zip(acme_endpoints, missing, strict=True):
        response = call(client, method, path, body)
        unknown = call(client, method, missing_path, body)
        assert_json_error(response, 404)
        assert (response.status_code, response.json()) == (unknown.status_code, unknown.json())
    assert personas.membership(personas.editor).role == Role.EDITOR


def test_suspended_member_gets_404(personas):
    with organization_scope(personas.organization):
        Membership.objects.filter(user=personas.manager).update(status=Membership.Status.SUSPENDED)
    client = APIClient()
    client.force_login(personas.manager)
    assert_json_error(client.get("/api/v1/o/acme/members/"), 404)


def test_malformed_json_is_a_400_json_message(personas):
    client = token_client(make_token(personas.organization))
    response = client.generic(
        "POST", "/api/v1/o/acme/programmes/", '{"name": "Sales", "slug":', content_type="application/json"
    )
    assert_json_error(response, 400)


def test_json_body_that_is_not_an_object_is_a_400(personas):
    client = token_client(make_token(personas.organization))
    response = client.generic("POST", "/api/v1/o/acme/members/invite/", "[1, 2]", content_type="application/json")
    assert_json_error(response, 400)


def test_unsupported_media_type_is_json(personas):
    client = token_client(make_token(personas.organization))
    response = client.post("/api/v1/o/acme/programmes/", "name=Sales", content_type="application/x-www-form-urlencoded")
    assert_json_error(response, 415)


def test_method_not_allowed_is_json(personas):
    client = token_client(make_token(personas.organization))
    assert_json_error(client.put("/api/v1/o/acme/members/1/", {}, format="json"), 405)


def test_unknown_api_path_is_a_json_404(personas):
    client = token_client(make_token(personas.organization))
    assert_json_error(client.get("/api/v1/o/acme/nothing-here/"), 404)
    assert_json_error(client.get("/api/v1/nothing-here/"), 404)
