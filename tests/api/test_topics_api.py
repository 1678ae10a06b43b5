"""``/api/v1/o/<org>/topics/``: the library's topics, for editors and admins."""

import pytest
from rest_framework.test import APIClient

from advocacy.models import AuditEntry
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import Topic
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

TOPICS = "/api/v1/o/acme/topics/"


@pytest.fixture
def topic(personas):
    with organization_scope(personas.organization):
        return services.topic_create(organization=personas.organization, name="Careers", by=None)


@pytest.fixture
def foreign_topic(personas):
    with organization_scope(personas.other_organization):
        return services.topic_create(organization=personas.other_organization, name="Secret", by=None)


def detail(topic):
    return f"{TOPICS}{topic.pk}/"


def test_list_shows_only_this_organisations_topics(personas, admin, topic, foreign_topic):
    response = admin.get(TOPICS)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["name"] for row in rows] == ["Careers"]
    assert set(rows[0]) == {"id", "name", "colour", "description", "created_at"}


def test_create_update_and_delete_a_topic(personas, admin):
    response = admin.post(TOPICS, {"name": "Events", "colour": "#ff0000", "description": "Fairs"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["colour"], body["description"]) == ("Events", "#ff0000", "Fairs")
    url = f"{TOPICS}{body['id']}/"
    response = admin.patch(url, {"name": "Trade fairs"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Trade fairs"
    assert admin.delete(url).status_code == 204
    with organization_scope(personas.organization):
        assert not Topic.objects.exists()
        assert AuditEntry.objects.filter(action__startswith="topic.").exists()


def test_create_ignores_an_organisation_in_the_body(personas, admin):
    """T9: the organisation comes from the URL only."""
    payload = {"name": "Events", "organization": personas.other_organization.pk}
    assert admin.post(TOPICS, payload, format="json").status_code == 201
    with organization_scope(personas.organization):
        assert Topic.objects.get(name="Events").organization_id == personas.organization.pk
    with organization_scope(personas.other_organization):
        assert not Topic.objects.exists()


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "Red", "colour": "red"}, {"name": "x" * 81}], ids=str)
def test_invalid_topic_is_a_400_with_field_errors(personas, admin, payload):
    response = admin.post(TOPICS, payload, format="json")
    assert_json_error(response, 400)
    assert response.json()["errors"]
    with organization_scope(personas.organization):
        assert not Topic.objects.exists()


def test_duplicate_name_is_a_field_error(personas, admin, topic):
    response = admin.post(TOPICS, {"name": "Careers"}, format="json")
    assert_json_error(response, 400)
    assert "name" in response.json()["errors"]


def test_the_same_name_is_free_in_another_organisation(personas, admin, foreign_topic):
    assert admin.post(TOPICS, {"name": "Secret"}, format="json").status_code == 201


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.EDITOR, True), (Role.APPROVER, False), (Role.MANAGER, False), (Role.AMBASSADOR, False)],
)
def test_role_matrix(personas, topic, role, allowed):
    client = client_for(getattr(personas, role.value))
    responses = {
        "list": client.get(TOPICS).status_code,
        "get": client.get(detail(topic)).status_code,
        "create": client.post(TOPICS, {"name": "New"}, format="json").status_code,
        "update": client.patch(detail(topic), {"name": "Renamed"}, format="json").status_code,
    }
    if allowed:
        assert responses == {"list": 200, "get": 200, "create": 201, "update": 200}
    else:
        assert set(responses.values()) == {403}
        with organization_scope(personas.organization):
            assert list(Topic.objects.values_list("name", flat=True)) == ["Careers"]


def test_tokens_act_with_their_role(personas, topic):
    editor = token_client(make_token(personas.organization, Role.EDITOR))
    assert editor.post(TOPICS, {"name": "By token"}, format="json").status_code == 201
    ambassador = token_client(make_token(personas.organization, Role.AMBASSADOR))
    assert_json_error(ambassador.get(TOPICS), 403)
    assert_json_error(ambassador.delete(detail(topic)), 403)


def test_anonymous_gets_401(personas, topic):
    assert_json_error(APIClient().get(TOPICS), 401)
    assert_json_error(APIClient().post(TOPICS, {"name": "X"}, format="json"), 401)


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas, topic):
    client = client_for(personas.outsider)
    for method, path, body in [
        ("get", TOPICS, None),
        ("post", TOPICS, {"name": "X"}),
        ("get", detail(topic), None),
        ("patch", detail(topic), {"name": "X"}),
        ("delete", detail(topic), None),
    ]:
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert list(Topic.objects.values_list("name", flat=True)) == ["Careers"]


def test_a_topic_of_another_organisation_is_not_found(personas, admin, foreign_topic):
    assert_json_error(admin.get(detail(foreign_topic)), 404)
    assert_json_error(admin.patch(detail(foreign_topic), {"name": "Mine"}, format="json"), 404)
    assert_json_error(admin.delete(detail(foreign_topic)), 404)
    with organization_scope(personas.other_organization):
        assert Topic.objects.get(pk=foreign_topic.pk).name == "Secret"
