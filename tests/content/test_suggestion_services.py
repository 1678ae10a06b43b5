"""Suggestions from the field: a member suggests a link, an editor accepts it as a draft or declines it."""

import pytest
from django.core import mail

from advocacy.errors import ServiceError
from advocacy.models import AuditEntry
from content import services
from content.models import Post, Suggestion
from tests.content.factories import eager_celery

pytestmark = pytest.mark.django_db


def _suggest(personas, **kwargs):
    values = {"url": "https://blog.acme.test/plant", "comment": "Colleagues will love this", "title": "Plant"}
    return services.suggestion_create(
        organization=personas.organization, by=personas.ambassador, **{**values, **kwargs}
    )


def test_a_member_suggests_a_link_for_the_inbox(scoped):
    suggestion = _suggest(scoped)
    assert (suggestion.status, suggestion.suggested_by) == (Suggestion.Status.NEW, scoped.ambassador)
    assert len(suggestion.url_hash) == 64
    assert AuditEntry.objects.filter(action="suggestion.created").exists()


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "file:///etc/passwd"])
def test_a_suggestion_needs_a_web_link(scoped, url):
    with pytest.raises(ServiceError) as error:
        _suggest(scoped, url=url)
    assert error.value.field == "url"
    assert not Suggestion.objects.exists()


def test_accepting_makes_a_draft_crediting_the_author(scoped):
    suggestion = _suggest(scoped)
    post = services.suggestion_accept(suggestion=suggestion, by=scoped.editor)
    assert (post.status, post.link, post.title) == (Post.Status.DRAFT, "https://blog.acme.test/plant", "Plant")
    assert (post.author, post.suggested_by) == (scoped.editor, scoped.ambassador)
    assert (suggestion.status, suggestion.post, suggestion.decided_by) == ("accepted", post, scoped.editor)
    with pytest.raises(ServiceError) as error:
        services.suggestion_accept(suggestion=suggestion, by=scoped.admin)
    assert error.value.code == "invalid_state"
    assert Post.objects.count() == 1


def test_declining_needs_a_note_which_the_author_receives(scoped, django_capture_on_commit_callbacks):
    suggestion = _suggest(scoped)
    with pytest.raises(ServiceError) as error:
        services.suggestion_decline(suggestion=suggestion, by=scoped.editor, note="")
    assert error.value.field == "note"
    with eager_celery(), django_capture_on_commit_callbacks(execute=True):
        services.suggestion_decline(suggestion=suggestion, by=scoped.editor, note="We covered it last week.")
    assert (suggestion.status, suggestion.decline_note) == ("declined", "We covered it last week.")
    assert [message.to for message in mail.outbox] == [[scoped.ambassador.email]]
    assert "We covered it last week." in mail.outbox[0].body
    with pytest.raises(ServiceError):
        services.suggestion_accept(suggestion=suggestion, by=scoped.editor)
