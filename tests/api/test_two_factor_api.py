"""An organisation that requires two-factor: its members' browser sessions reach the API only once they have set it
up, as for the pages; organisation API tokens carry no person and are unaffected."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from rest_framework.test import APIClient

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from charter.models import Incident
from content.models import Topic
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

pytestmark = pytest.mark.django_db

BASE = "/api/v1/o/acme"
READS = [f"{BASE}/members/", f"{BASE}/topics/", f"{BASE}/incidents/", f"{BASE}/charter/", f"{BASE}/shares/"]
WRITES = [
    (f"{BASE}/topics/", {"name": "Events"}),
    (f"{BASE}/incidents/", {"kind": "other", "description": "Something odd."}),
]


@pytest.fixture
def strict(personas):
    personas.organization.require_two_factor = True
    personas.organization.save()
    return personas


def assert_two_factor_required(response):
    assert_json_error(response, 403)
    assert response.json()["code"] == "two_factor_required"


@pytest.mark.parametrize("path", READS)
def test_a_session_without_two_factor_reads_nothing(strict, path):
    assert_two_factor_required(client_for(strict.admin).get(path))


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_a_session_without_two_factor_writes_nothing(strict, path, body):
    assert_two_factor_required(client_for(strict.admin).post(path, body, format="json"))
    with organization_scope(strict.organization):
        assert not Topic.objects.exists()
        assert not Incident.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_refused_for_the_same_reason(strict, role):
    assert_two_factor_required(client_for(getattr(strict, role.value)).get(f"{BASE}/charter/"))


def test_the_refusal_says_why_in_the_members_language(strict):
    for user, language in ((strict.admin, "en"), (strict.ambassador, "fr")):
        user.language = language
        user.save()
    english = client_for(strict.admin).get(f"{BASE}/members/").json()["message"]
    french = client_for(strict.ambassador).get(f"{BASE}/charter/").json()["message"]
    assert "two-factor" in english
    assert "authentification à deux facteurs" in french


def test_a_session_with_two_factor_goes_through(strict):
    TOTP.activate(strict.admin, generate_totp_secret())
    client = client_for(strict.admin)
    assert client.get(f"{BASE}/members/").status_code == 200
    assert client.post(f"{BASE}/topics/", {"name": "Events"}, format="json").status_code == 201
    assert client.post(f"{BASE}/incidents/", WRITES[1][1], format="json").status_code == 201


def test_tokens_are_unaffected(strict):
    client = token_client(make_token(strict.organization, Role.ADMIN))
    assert client.get(f"{BASE}/members/").status_code == 200
    assert client.post(f"{BASE}/topics/", {"name": "By token"}, format="json").status_code == 201


def test_organisation_without_the_requirement_lets_sessions_in(personas):
    assert client_for(personas.admin).get(f"{BASE}/members/").status_code == 200


def test_outsiders_and_anonymous_callers_learn_nothing_about_the_requirement(strict):
    assert_json_error(client_for(strict.outsider).get(f"{BASE}/members/"), 404)
    assert_json_error(APIClient().get(f"{BASE}/members/"), 401)
