"""``/api/v1/o/<org>/suggestions/``: any member suggests a link; editors accept it as a draft post or decline it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import Post, Suggestion
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

SUGGESTIONS = "/api/v1/o/acme/suggestions/"
LINK = {"url": "https://example.com/news", "comment": "Our CEO on the radio", "title": "Radio interview"}


def url(suggestion, action=""):
    return f"{SUGGESTIONS}{suggestion.pk}/{action}/" if action else f"{SUGGESTIONS}{suggestion.pk}/"


def suggest(personas, by=None, organization=None, url="https://example.com/a", **fields):
    organization = organization or personas.organization
    with organization_scope(organization):
        return services.suggestion_create(organization=organization, by=by or personas.ambassador, url=url, **fields)


@pytest.mark.parametrize("role", list(Role))
def test_any_member_may_suggest_a_link(personas, role):
    user = getattr(personas, role.value)
    response = client_for(user).post(SUGGESTIONS, LINK, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["url"], body["status"], body["suggested_by"]) == (LINK["url"], "new", user.pk)
    with organization_scope(personas.organization):
        assert Suggestion.objects.get(pk=body["id"]).organization_id == personas.organization.pk


def test_a_suggestion_ignores_status_and_author_in_the_body(personas):
    """T9."""
    body = {**LINK, "status": "accepted", "suggested_by": personas.admin.pk, "organization": "globex", "post": 1}
    response = client_for(personas.ambassador).post(SUGGESTIONS, body, format="json")
    assert response.status_code == 201, response.json()
    with organization_scope(personas.organization):
        suggestion = Suggestion.objects.get()
    assert (suggestion.status, suggestion.suggested_by_id, suggestion.post_id) == ("new", personas.ambassador.pk, None)
    with organization_scope(personas.other_organization):
        assert not Suggestion.objects.exists()


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://example.com/", "nope", ""])
def test_a_bad_link_is_a_field_error(personas, link):
    response = client_for(personas.ambassador).post(SUGGESTIONS, {"url": link}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["url"]


def test_a_token_cannot_suggest_because_a_suggestion_is_credited_to_a_person(personas):
    response = token_client(make_token(personas.organization, Role.ADMIN)).post(SUGGESTIONS, LINK, format="json")
    assert_json_error(response, 403)
    with organization_scope(personas.organization):
        assert not Suggestion.objects.exists()


def test_editor_token_reads_the_inbox(personas):
    suggest(personas)
    response = token_client(make_token(personas.organization, Role.EDITOR)).get(SUGGESTIONS)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_the_inbox_shows_new_suggestions_of_this_organisation_and_filters_by_status(personas):
    fresh = suggest(personas, url="https://example.com/new")
    declined = suggest(personas, url="https://example.com/old")
    with organization_scope(personas.organization):
        services.suggestion_decline(suggestion=declined, by=personas.editor, note="Off topic")
    suggest(personas, by=personas.outsider, organization=personas.other_organization)
    editor = client_for(personas.editor)
    assert [row["id"] for row in editor.get(SUGGESTIONS).json()["results"]] == [fresh.pk]
    rows = editor.get(SUGGESTIONS, {"status": "declined"}).json()["results"]
    assert [(row["id"], row["decline_note"]) for row in rows] == [(declined.pk, "Off topic")]
    assert_json_error(editor.get(SUGGESTIONS, {"status": "maybe"}), 400)


@pytest.mark.parametrize("role", [Role.APPROVER, Role.MANAGER, Role.AMBASSADOR])
def test_only_editors_and_admins_see_and_decide(personas, role):
    suggestion = suggest(personas)
    client = client_for(getattr(personas, role.value))
    assert_json_error(client.get(SUGGESTIONS), 403)
    assert_json_error(client.get(url(suggestion)), 403)
    assert_json_error(client.post(url(suggestion, "accept")), 403)
    assert_json_error(client.post(url(suggestion, "decline"), {"note": "No"}, format="json"), 403)
    with organization_scope(personas.organization):
        assert Suggestion.objects.get().status == Suggestion.Status.NEW


def test_accept_turns_a_suggestion_into_a_draft_crediting_its_author(personas):
    suggestion = suggest(personas, url="https://example.com/story", title="A story", comment="Worth it")
    response = client_for(personas.editor).post(url(suggestion, "accept"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["suggested_by"], body["link"]) == (
        Post.Status.DRAFT,
        personas.ambassador.pk,
        "https://example.com/story",
    )
    with organization_scope(personas.organization):
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.post_id) == (Suggestion.Status.ACCEPTED, body["id"])
        assert Post.objects.get(pk=body["id"]).organization_id == personas.organization.pk


def test_accepting_twice_is_refused(personas):
    suggestion = suggest(personas)
    editor = client_for(personas.editor)
    assert editor.post(url(suggestion, "accept")).status_code == 201
    response = editor.post(url(suggestion, "accept"))
    assert response.status_code in {400, 409}
    assert_json_error(response, response.status_code)
    with organization_scope(personas.organization):
        assert Post.objects.count() == 1


def test_decline_needs_a_note(personas):
    suggestion = suggest(personas)
    editor = client_for(personas.editor)
    response = editor.post(url(suggestion, "decline"), {}, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["note"]
    response = editor.post(url(suggestion, "decline"), {"note": "We covered this last week"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["decline_note"]) == ("declined", "We covered this last week")


def test_anonymous_gets_401(personas):
    suggestion = suggest(personas)
    assert_json_error(APIClient().get(SUGGESTIONS), 401)
    assert_json_error(APIClient().post(SUGGESTIONS, LINK, format="json"), 401)
    assert_json_error(APIClient().post(url(suggestion, "accept")), 401)


def test_session_suggestion_without_csrf_token_is_refused(personas):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.ambassador)
    assert_json_error(client.post(SUGGESTIONS, LINK, format="json"), 403)
    with organization_scope(personas.organization):
        assert not Suggestion.objects.exists()


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas):
    suggestion = suggest(personas)
    client = client_for(personas.outsider)
    for method, path, body in [
        ("get", SUGGESTIONS, None),
        ("post", SUGGESTIONS, LINK),
        ("get", url(suggestion), None),
        ("post", url(suggestion, "accept"), None),
        ("post", url(suggestion, "decline"), {"note": "x"}),
    ]:
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert Suggestion.objects.get().status == Suggestion.Status.NEW


def test_a_suggestion_of_another_organisation_is_not_found(personas):
    foreign = suggest(personas, by=personas.outsider, organization=personas.other_organization)
    editor = client_for(personas.editor)
    assert_json_error(editor.get(url(foreign)), 404)
    assert_json_error(editor.post(url(foreign, "accept")), 404)
    with organization_scope(personas.other_organization):
        assert Suggestion.objects.get().status == Suggestion.Status.NEW


def _seed(organization, user, count):
    with organization_scope(organization):
        Suggestion.objects.bulk_create(
            Suggestion(
                organization=organization,
                url=f"https://example.com/{n}",
                url_hash=f"{n:064d}",
                suggested_by=user,
                comment="Look",
            )
            for n in range(count)
        )


def test_the_inbox_runs_a_bounded_number_of_queries(personas):
    """2 organisations × 1,000 suggestions: a page costs what a page of 3 costs."""
    editor = client_for(personas.editor)
    _seed(personas.organization, personas.ambassador, 3)
    with CaptureQueriesContext(connection) as small:
        assert editor.get(SUGGESTIONS).json()["count"] == 3
    _seed(personas.organization, personas.ambassador, 997)
    _seed(personas.other_organization, personas.outsider, 1000)
    with CaptureQueriesContext(connection) as large:
        body = editor.get(SUGGESTIONS).json()
    assert body["count"] == 1000
    assert len(body["results"]) == 50
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 10, [q["sql"] for q in large.captured_queries]
