"""The content library: search, filters, sorting, pagination, badges, roles and a bounded number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advocacy.models import Programme
from advocacy.roles import Role
from advocacy.tenancy import organization_scope
from content import services
from content.models import Post, PostTopic, PostVariant, Topic
from content.services import VariantInput
from tests.conftest import org_url

pytestmark = pytest.mark.django_db


def _post(personas, title, **fields):
    return services.post_create(organization=personas.organization, author=personas.editor, title=title, **fields)


@pytest.fixture
def library(personas):
    with organization_scope(personas.organization):
        hiring = services.topic_create(organization=personas.organization, name="Hiring", by=personas.admin)
        _post(
            personas,
            "We are hiring engineers",
            topics=[hiring],
            variants=[VariantInput(network="x", text="Join our robotics team")],
            publish_at=timezone.now() + dt.timedelta(days=3),
        )
        _post(personas, "Quarterly results", variants=[VariantInput(network="linkedin", text="Revenue grew")])
    with organization_scope(personas.other_organization):
        services.post_create(organization=personas.other_organization, author=None, title="Globex robotics secret")
    return hiring


def _titles(response) -> list[str]:
    return [post.title for post in response.context["posts"]]


def test_the_library_lists_the_organisations_posts_only(admin_client, personas, library):
    response = admin_client.get(org_url("content_library", personas))
    assert response.status_code == 200
    assert sorted(_titles(response)) == ["Quarterly results", "We are hiring engineers"]
    body = response.content.decode()
    assert "Globex" not in body
    assert "New post" in body and "Hiring" in body  # the button and the topic badge
    assert "badge-post-draft" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "robotics"}, ["We are hiring engineers"]),  # variant text
        ({"q": "quarterly"}, ["Quarterly results"]),  # title
        ({"network": "linkedin"}, ["Quarterly results"]),
        ({"status": "approved"}, []),
        ({"sort": "title"}, ["Quarterly results", "We are hiring engineers"]),
    ],
)
def test_search_filters_and_sort(admin_client, personas, library, query, expected):
    titles = _titles(admin_client.get(org_url("content_library", personas), query))
    assert titles == expected if "sort" in query else sorted(titles) == sorted(expected)


def test_filter_by_topic(admin_client, personas, library):
    response = admin_client.get(org_url("content_library", personas), {"topic": library.pk})
    assert _titles(response) == ["We are hiring engineers"]


def test_an_invalid_filter_is_shown_and_ignored(admin_client, personas, library):
    response = admin_client.get(org_url("content_library", personas), {"topic": "999999", "date_from": "nonsense"})
    assert response.status_code == 200
    assert len(_titles(response)) == 2


def test_a_page_out_of_range_shows_the_last_page(admin_client, personas, library):
    assert admin_client.get(org_url("content_library", personas), {"page": "99"}).status_code == 200


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_only_admins_and_editors_open_the_library(client, personas, role):
    client.force_login(getattr(personas, role.value))
    response = client.get(org_url("content_library", personas))
    assert response.status_code == (200 if role in (Role.ADMIN, Role.EDITOR) else 403)


def test_an_outsider_gets_404_and_an_anonymous_visitor_is_sent_to_sign_in(client, personas):
    url = org_url("content_library", personas)
    assert client.get(url).status_code == 302
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404


def _seed(organization, count: int, author, batch: str) -> None:
    """``count`` posts with two topics, a programme and two variants each, written in a few bulk inserts."""
    with organization_scope(organization):
        topics = [Topic.objects.create(organization=organization, name=f"Topic {batch}{n}") for n in range(2)]
        programme = Programme.objects.create(organization=organization, name=f"Sales {batch}", slug=f"sales-{batch}")
        posts = Post.objects.bulk_create(
            Post(organization=organization, title=f"Post {n}", author=author, link="https://example.com/")
            for n in range(count)
        )
        PostTopic.objects.bulk_create(
            PostTopic(organization=organization, post=post, topic=topic) for post in posts for topic in topics
        )
        Post.programmes.through.objects.bulk_create(
            Post.programmes.through(organization=organization, post=post, programme=programme) for post in posts
        )
        PostVariant.objects.bulk_create(
            PostVariant(organization=organization, post=post, network=network, text=f"Text {post.title}")
            for post in posts
            for network in ("linkedin", "x")
        )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_library_runs_a_bounded_number_of_queries(admin_client, personas):
    url = org_url("content_library", personas)
    _seed(personas.organization, 3, personas.editor, "a")
    _seed(personas.other_organization, 3, None, "a")
    few = _queries(admin_client, url)

    _seed(personas.organization, 1000, personas.editor, "b")
    _seed(personas.other_organization, 1000, None, "b")
    many = _queries(admin_client, url)

    assert many == few
    assert many <= 10  # with the top bar's bell
    assert _queries(admin_client, url + "?q=Post&sort=title&network=x") == many


def test_the_filters_offer_the_organisations_topics_programmes_and_authors_in_name_order(
    admin_client, personas, library
):
    with organization_scope(personas.organization):
        Programme.objects.create(organization=personas.organization, name="Sales", slug="sales")
        Programme.objects.create(organization=personas.organization, name="Hiring team", slug="hiring-team")
        services.topic_create(organization=personas.organization, name="Awards", by=personas.admin)
        # A former member's posts must still be found by author.
        _post(personas, "Old news")
        Post.objects.filter(title="Old news").update(author=personas.outsider)
    with organization_scope(personas.other_organization):
        Programme.objects.create(organization=personas.other_organization, name="Globex only", slug="globex")

    form = admin_client.get(org_url("content_library", personas)).context["filter_form"]

    def labels(name):
        return [label for value, label in form.fields[name].choices if value != ""]

    assert labels("topic") == ["Awards", "Hiring"]
    assert labels("programme") == ["Hiring team", "Sales"]
    assert labels("author") == sorted([personas.editor.display_name, personas.outsider.display_name])
    response = admin_client.get(org_url("content_library", personas), {"author": personas.outsider.pk})
    assert _titles(response) == ["Old news"]
    assert f'<option value="{personas.outsider.pk}" selected>' in response.content.decode()


def test_a_topic_of_another_organisation_is_a_field_error_and_filters_nothing(admin_client, personas, library):
    with organization_scope(personas.other_organization):
        theirs = services.topic_create(organization=personas.other_organization, name="Secret", by=personas.outsider)

    response = admin_client.get(org_url("content_library", personas), {"topic": theirs.pk})

    assert response.context["filter_form"].errors.keys() == {"topic"}
    assert len(_titles(response)) == 2
    assert "Secret" not in response.content.decode()


def test_each_row_names_its_author_and_every_cell_its_column(admin_client, personas, library):
    body = admin_client.get(org_url("content_library", personas)).content.decode()
    assert body.count(f'<td data-label="Author">{personas.editor.display_name}</td>') == 2
    assert "<td>" not in body
