"""Suggest a link (every member) and the editors' inbox: accept into a draft crediting the author, decline with a
note the author sees."""

import pytest

from advocacy.tenancy import organization_scope
from content import services
from content.models import FeedSource, Post, Suggestion
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


def _suggest(personas, url="https://news.acme.test/award", **kwargs):
    with organization_scope(personas.organization):
        return services.suggestion_create(
            organization=personas.organization, by=personas.ambassador, url=url, comment="We won!", **kwargs
        )


def test_an_ambassador_suggests_a_link_and_sees_it_listed(client, personas):
    client.force_login(personas.ambassador)

    response = client.post(
        org_url("suggest", personas),
        {"url": "https://news.acme.test/award", "comment": "We won an award", "title": "Award"},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Thank you! The communications team will look at your suggestion." in body
    assert "Award" in body and "New" in body
    with organization_scope(personas.organization):
        suggestion = Suggestion.objects.get()
    assert (suggestion.suggested_by, suggestion.comment) == (personas.ambassador, "We won an award")


def test_a_bad_link_is_a_field_error_and_the_comment_is_kept(client, personas):
    client.force_login(personas.ambassador)

    response = client.post(org_url("suggest", personas), {"url": "not a link", "comment": "Typed with care"})

    assert response.status_code == 400
    assert response.context["form"].errors["url"]
    assert "Typed with care" in response.content.decode()
    with organization_scope(personas.organization):
        assert not Suggestion.objects.exists()


def test_a_member_sees_only_their_own_suggestions(client, personas):
    _suggest(personas, title="Mine")
    with organization_scope(personas.organization):
        services.suggestion_create(
            organization=personas.organization, by=personas.editor, url="https://other.acme.test/", title="Theirs"
        )
    client.force_login(personas.ambassador)

    body = client.get(org_url("suggest", personas)).content.decode()

    assert "Mine" in body
    assert "Theirs" not in body


def test_the_inbox_shows_suggestions_and_feed_items_with_their_source(client, personas):
    _suggest(personas, title="From the field")
    with organization_scope(personas.organization):
        source = FeedSource.objects.create(organization=personas.organization, name="Press room", url="https://p.test/")
        Suggestion.objects.create(
            organization=personas.organization, source=source, url="https://p.test/1", title="Press item", guid="1"
        )
    client.force_login(personas.editor)

    body = client.get(org_url("suggestions", personas)).content.decode()

    assert "From the field" in body
    assert "Press item" in body and "Feed: Press room" in body
    assert personas.ambassador.display_name in body


def test_accepting_makes_a_draft_crediting_the_author_and_opens_its_editor(client, personas):
    suggestion = _suggest(personas, title="Award")
    client.force_login(personas.editor)

    response = client.post(org_url("suggestion_accept", personas, suggestion.pk))

    with organization_scope(personas.organization):
        post = Post.objects.get()
        suggestion.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == org_url("post_edit", personas, post.pk)
    assert post.status == Post.Status.DRAFT
    assert post.suggested_by == personas.ambassador
    assert suggestion.status == Suggestion.Status.ACCEPTED


def test_declining_needs_a_note_and_the_author_sees_it(client, personas):
    suggestion = _suggest(personas, title="Award")
    client.force_login(personas.editor)
    url = org_url("suggestion_decline", personas, suggestion.pk)

    refused = client.post(url, {"note": ""})
    assert refused.status_code == 400
    assert refused.context["form"].errors["note"]

    assert client.post(url, {"note": "Already shared last week."}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.DECLINED

    client.force_login(personas.ambassador)
    body = client.get(org_url("suggest", personas)).content.decode()
    assert "Already shared last week." in body
    assert "Declined" in body


def test_accepting_twice_says_why_instead_of_failing(client, personas):
    suggestion = _suggest(personas)
    client.force_login(personas.editor)
    client.post(org_url("suggestion_accept", personas, suggestion.pk))

    response = client.post(org_url("suggestion_accept", personas, suggestion.pk), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == org_url("suggestions", personas)
    with organization_scope(personas.organization):
        assert Post.objects.count() == 1


@pytest.mark.parametrize("role", ["ambassador", "approver", "manager"])
def test_only_editors_and_admins_see_the_inbox_and_everyone_may_suggest(client, personas, role):
    suggestion = _suggest(personas)
    client.force_login(getattr(personas, role))

    assert client.get(org_url("suggest", personas)).status_code == 200
    assert client.get(org_url("suggestions", personas)).status_code == 403
    assert client.post(org_url("suggestion_accept", personas, suggestion.pk)).status_code == 403
    assert client.post(org_url("suggestion_decline", personas, suggestion.pk), {"note": "x"}).status_code == 403
