"""An empty Topics box in the post editor says there are none yet and links to creating one."""

import pytest
from django.test import Client

from advocacy.tenancy import organization_scope
from tests.conftest import org_url
from tests.content.factories import TopicFactory

pytestmark = pytest.mark.django_db


def _editor_page(personas) -> str:
    client = Client()
    client.force_login(personas.editor)
    response = client.get(org_url("post_create", personas))
    assert response.status_code == 200
    return response.content.decode()


def test_without_topics_the_editor_says_so_and_links_to_creating_one(personas):
    page = _editor_page(personas)

    assert "No topics yet" in page
    assert f'href="{org_url("topic_create", personas)}"' in page


def test_with_topics_the_editor_offers_them(personas):
    with organization_scope(personas.organization):
        TopicFactory(organization=personas.organization, name="Careers")

    page = _editor_page(personas)

    assert "Careers" in page
    assert "No topics yet" not in page


def test_another_organisations_topics_do_not_fill_the_box(personas):
    with organization_scope(personas.other_organization):
        TopicFactory(organization=personas.other_organization, name="Globex only")

    page = _editor_page(personas)

    assert "Globex only" not in page
    assert "No topics yet" in page


def test_an_outsider_gets_404_on_the_editor(personas):
    client = Client()
    client.force_login(personas.outsider)

    assert client.get(org_url("post_create", personas)).status_code == 404
