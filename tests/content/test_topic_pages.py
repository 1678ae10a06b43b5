"""Topics: list with post counts, create and edit (a duplicate name is a field error), delete after confirming."""

import pytest

from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import Post, Topic
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(personas):
    with organization_scope(personas.organization):
        topic = services.topic_create(organization=personas.organization, name="Hiring", by=personas.admin)
        services.post_create(organization=personas.organization, author=personas.editor, title="A", topics=[topic])
        services.post_create(organization=personas.organization, author=personas.editor, title="B", topics=[topic])
    return topic


def test_the_list_shows_topics_with_their_post_counts(admin_client, personas, topic):
    response = admin_client.get(org_url("topics", personas))
    assert response.status_code == 200
    listed = {t.name: t.post_count for t in response.context["topics"]}
    assert listed == {"Hiring": 2}


def test_create_a_topic(admin_client, personas):
    response = admin_client.post(
        org_url("topic_create", personas), {"name": "Events", "colour": "#ff0000", "description": "Fairs"}
    )
    assert response.status_code == 302
    with organization_scope(personas.organization):
        created = Topic.objects.get(name="Events")
    assert (created.colour, created.description) == ("#ff0000", "Fairs")


def test_a_duplicate_name_is_a_field_error(admin_client, personas, topic):
    response = admin_client.post(org_url("topic_create", personas), {"name": "Hiring", "colour": "#ff0000"})
    assert response.status_code == 400
    assert response.context["form"].errors.get("name")


def test_a_bad_colour_is_a_field_error(admin_client, personas):
    response = admin_client.post(org_url("topic_create", personas), {"name": "X", "colour": "red"})
    assert response.status_code == 400
    assert response.context["form"].errors.get("colour")


def test_the_same_name_in_another_organisation_is_fine(admin_client, personas):
    with organization_scope(personas.other_organization):
        services.topic_create(organization=personas.other_organization, name="Hiring", by=None)
    response = admin_client.post(org_url("topic_create", personas), {"name": "Hiring", "colour": "#000000"})
    assert response.status_code == 302


def test_edit_a_topic(admin_client, personas, topic):
    url = org_url("topic_edit", personas, topic.pk)
    assert 'value="Hiring"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"name": "Careers", "colour": "#00ff00"})
    assert response.status_code == 302
    with organization_scope(personas.organization):
        topic.refresh_from_db()
    assert topic.name == "Careers"


def test_delete_asks_then_deletes_and_keeps_the_posts(admin_client, personas, topic):
    url = org_url("topic_delete", personas, topic.pk)
    assert "Delete the topic" in admin_client.get(url).content.decode()
    assert admin_client.post(url).status_code == 302
    with organization_scope(personas.organization):
        assert not Topic.objects.filter(pk=topic.pk).exists()
        assert Post.objects.filter(title__in=["A", "B"]).count() == 2


def test_the_topic_name_is_escaped(admin_client, personas):
    with organization_scope(personas.organization):
        services.topic_create(organization=personas.organization, name="<script>x</script>", by=None)
    body = admin_client.get(org_url("topics", personas)).content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("name", ["topics", "topic_create", "topic_edit", "topic_delete"])
def test_only_admins_and_editors_manage_topics(client, personas, topic, role, name):
    client.force_login(getattr(personas, role.value))
    args = [topic.pk] if name in ("topic_edit", "topic_delete") else []
    response = client.get(org_url(name, personas, *args))
    assert response.status_code == (200 if role in (Role.ADMIN, Role.EDITOR) else 403)


@pytest.mark.parametrize("name", ["topics", "topic_create", "topic_edit", "topic_delete"])
def test_an_outsider_gets_404_and_an_anonymous_visitor_is_sent_to_sign_in(client, personas, topic, name):
    args = [topic.pk] if name in ("topic_edit", "topic_delete") else []
    url = org_url(name, personas, *args)
    assert client.get(url).status_code == 302
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Hack"}).status_code == 404
