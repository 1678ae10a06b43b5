"""A feed's last failure is stored as a code and its parameters and read in the reader's language, whatever the
language the poll ran in."""

import pytest
from django.test import Client
from django.utils import translation

from advocacy.tenancy import organization_scope
from content.feeds import feed_source_poll
from content.models import FeedSource
from tests.conftest import org_url
from tests.content.httpfixtures import Route, local_server  # noqa: F401 - fixtures
from tests.content.test_feeds import BROKEN, RSS_TYPE

pytestmark = pytest.mark.django_db


def _failed_in_french(personas, local_server, route):  # noqa: F811
    personas.organization.language = "fr"
    personas.organization.save(update_fields=["language"])
    url = local_server.route("/feed.xml", route)
    with organization_scope(personas.organization):
        source = FeedSource.objects.create(organization=personas.organization, name="Blog", url=url)
        feed_source_poll(source=source)
        source.refresh_from_db()
    return source


def test_a_server_error_is_stored_as_a_code(personas, local_server):  # noqa: F811
    source = _failed_in_french(personas, local_server, Route(status=500, body=b"boom", headers=RSS_TYPE))

    assert (source.last_error_code, source.last_error_params, source.last_error) == ("http_status", {"status": 500}, "")
    with translation.override("en"):
        assert source.last_error_message == "The feed server answered with HTTP status 500."
    with translation.override("fr"):
        assert source.last_error_message == "Le serveur du flux a répondu avec le statut HTTP 500."


def test_a_broken_document_keeps_the_parsers_position(personas, local_server):  # noqa: F811
    source = _failed_in_french(personas, local_server, Route(body=BROKEN, headers=RSS_TYPE))

    assert source.last_error_code == "invalid_syntax"
    with translation.override("en"):
        assert source.last_error_message.startswith(
            "This address does not return a valid RSS or Atom feed: line 1, column 101: "
        )


def test_the_feed_page_shows_the_failure_in_the_readers_language(personas, local_server):  # noqa: F811
    _failed_in_french(personas, local_server, Route(status=500, body=b"boom", headers=RSS_TYPE))
    personas.editor.language = "en"
    personas.editor.save()
    client = Client()
    client.force_login(personas.editor)

    page = client.get(org_url("feed_sources", personas)).content.decode()

    assert "The feed server answered with HTTP status 500." in page
    assert "statut HTTP" not in page


def test_an_older_sentence_is_shown_as_it_is():
    assert FeedSource(last_error="Une erreur d’autrefois.").last_error_message == "Une erreur d’autrefois."


def test_an_outsider_gets_404_on_the_feed_page(client, personas):
    client.force_login(personas.outsider)

    assert client.get(org_url("feed_sources", personas)).status_code == 404
