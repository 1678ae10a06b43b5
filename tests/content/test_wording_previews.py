"""A failed link preview keeps why as a message code and its parameters, worded in the reader's language: fetched
by a French-speaking worker, it still reads in English to an English reader, and older rows stored as sentences
are turned into codes."""

import importlib

import pytest
from django.test import Client
from django.utils import translation

from advocacy.tenancy import organization_scope
from content.models import LinkPreview, Post
from content.previews import preview_fetch
from tests.conftest import org_url
from tests.content.httpfixtures import local_server  # noqa: F401

migration = importlib.import_module("content.migrations.0003_link_preview_error_code")

pytestmark = pytest.mark.django_db


def _failed_in_french(personas, url, **post_fields):
    with organization_scope(personas.organization):
        post = Post.objects.create(organization=personas.organization, title="Linked", link=url, **post_fields)
        preview = LinkPreview.objects.create(organization=personas.organization, url=url, url_hash=url)
        Post.objects.filter(pk=post.pk).update(link_preview=preview)
        with translation.override("fr"):
            preview_fetch(preview=preview)
        preview.refresh_from_db()
    return post, preview


def test_a_refusal_is_stored_as_a_code_and_read_in_each_language(personas):
    _post, preview = _failed_in_french(personas, "http://10.0.0.5/")

    assert (preview.error_code, preview.error_params, preview.error) == ("address", {}, "")
    with translation.override("en"):
        assert preview.error_message == "This link points to a private or reserved network address."
    with translation.override("fr"):
        assert preview.error_message == "Ce lien pointe vers une adresse réseau privée ou réservée."


def test_an_error_status_keeps_its_number_as_a_parameter(personas, local_server):  # noqa: F811
    _post, preview = _failed_in_french(personas, local_server.url("/gone"))

    assert (preview.error_code, preview.error_params) == ("http_status", {"status": 404})
    with translation.override("en"):
        assert preview.error_message == "The page answered with HTTP status 404."


def test_the_post_page_shows_the_reason_in_the_readers_language(personas):
    post, _preview = _failed_in_french(personas, "http://10.0.0.5/")
    personas.editor.language = "en"
    personas.editor.save()
    client = Client()
    client.force_login(personas.editor)

    page = client.get(org_url("post_preview", personas, post.pk), headers={"HX-Request": "true"}).content.decode()

    assert "This link points to a private or reserved network address." in page
    assert "adresse réseau" not in page


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("Le site a mis trop de temps à répondre.", ("timeout", {})),
        ("The site could not be reached.", ("connection", {})),
        ("La page a répondu avec le statut HTTP 503.", ("http_status", {"status": 503})),
        (
            "The link returned application/pdf, not a kind of page that can be read here.",
            ("content_type", {"type": "application/pdf"}),
        ),
        ("Something only an old version said.", None),
    ],
)
def test_the_migration_maps_stored_sentences_to_codes(stored, expected):
    assert migration._code_of(stored) == expected


def test_an_unknown_stored_sentence_is_shown_as_it_is():
    preview = LinkPreview(error="Something only an old version said.")

    assert preview.error_message == "Something only an old version said."


def test_an_outsider_gets_404_on_the_preview(client, personas):
    post, _preview = _failed_in_french(personas, "http://10.0.0.5/")
    client.force_login(personas.outsider)

    assert client.get(org_url("post_preview", personas, post.pk)).status_code == 404
