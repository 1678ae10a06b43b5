"""``/api/v1/o/<org>/posts/``: the library's posts with their variants, topics and targeting."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from advocacy.roles import Role
from advocacy.services import programme_create
from advocacy.tenancy import organization_scope
from content import services
from content.models import Network, Post, PostProgramme, PostTopic, PostVariant
from tests.api.conftest import client_for
from tests.api.test_auth_api import assert_json_error, make_token, token_client

POSTS = "/api/v1/o/acme/posts/"
LONG_X = "word " * 59 + "words"  # 300 characters: over X's 280


def detail(post):
    return f"{POSTS}{post.pk}/"


@pytest.fixture
def editor(personas) -> APIClient:
    return client_for(personas.editor)


@pytest.fixture
def library(personas):
    """Two topics and a programme in acme; a topic and a programme in globex.

    Programmes come from the service rather than ProgrammeFactory, whose name sequence other tests' ordering uses.
    """
    with organization_scope(personas.organization):
        careers = services.topic_create(organization=personas.organization, name="Careers", by=None)
        events = services.topic_create(organization=personas.organization, name="Events", by=None)
        tech = programme_create(organization=personas.organization, name="Tech", slug="tech", description="", by=None)
    with organization_scope(personas.other_organization):
        secret = services.topic_create(organization=personas.other_organization, name="Secret", by=None)
        hidden = programme_create(
            organization=personas.other_organization, name="Hidden", slug="hidden", description="", by=None
        )
    return {"careers": careers, "events": events, "tech": tech, "secret": secret, "hidden": hidden}


def make_post(personas, title="Launch", **fields):
    with organization_scope(personas.organization):
        return services.post_create(organization=personas.organization, author=personas.editor, title=title, **fields)


def payload(library, **changes):
    body = {
        "title": "We are hiring",
        "link": "https://example.com/jobs",
        "note": "Share with your network of engineers.",
        "variants": [
            {"network": "linkedin", "text": "We are hiring engineers!"},
            {"network": "linkedin", "text": "Join our team."},
            {"network": "x", "text": "Hiring! https://example.com/jobs"},
        ],
        "topics": [library["careers"].pk],
        "programmes": [library["tech"].pk],
        "languages": ["en", "fr"],
        "publish_at": "2031-05-01T09:00:00Z",
        "expires_at": "2031-06-01T09:00:00Z",
        "editable_by_ambassadors": False,
        "featured": True,
    }
    body.update(changes)
    return body


def test_create_a_post_with_variants_topics_and_programmes(personas, editor, library):
    response = editor.post(POSTS, payload(library), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == Post.Status.DRAFT
    assert body["revision"] == 1
    assert body["approved_revision"] is None
    assert body["author"] == personas.editor.pk
    assert body["organization"] == personas.organization.pk
    assert body["image"] is None
    # The preview is fetched by a worker after commit; until then it is pending.
    assert (body["link_preview"]["url"], body["link_preview"]["status"]) == ("https://example.com/jobs", "pending")
    assert body["topics"] == [library["careers"].pk]
    assert body["programmes"] == [library["tech"].pk]
    assert body["languages"] == ["en", "fr"]
    assert (body["editable_by_ambassadors"], body["featured"]) == (False, True)
    assert sorted((v["network"], v["text"]) for v in body["variants"]) == [
        ("linkedin", "Join our team."),
        ("linkedin", "We are hiring engineers!"),
        ("x", "Hiring! https://example.com/jobs"),
    ]
    with organization_scope(personas.organization):
        post = Post.objects.get(pk=body["id"])
        assert post.organization_id == personas.organization.pk
        assert PostVariant.objects.filter(post=post).count() == 3
        assert list(post.topics.all()) == [library["careers"]]


def test_a_post_can_be_kept_confidential_until_a_date(personas, editor, library):
    response = editor.post(POSTS, payload(library, confidential_until="2031-04-30T18:00:00Z"), format="json")
    assert response.status_code == 201
    stored = dt.datetime.fromisoformat(response.json()["confidential_until"])
    assert stored == dt.datetime(2031, 4, 30, 18, 0, tzinfo=dt.UTC)


def test_create_ignores_read_only_fields(personas, editor, library):
    """T9: status, organisation, revisions and author come from the server, whatever the body says."""
    body = payload(
        library,
        status="approved",
        organization=personas.other_organization.pk,
        approved_revision=7,
        revision=9,
        author=personas.admin.pk,
        current_step=1,
        id=999_999,
    )
    response = editor.post(POSTS, body, format="json")
    assert response.status_code == 201, response.json()
    with organization_scope(personas.organization):
        post = Post.objects.get(pk=response.json()["id"])
    assert (post.status, post.revision, post.approved_revision) == (Post.Status.DRAFT, 1, None)
    assert (post.organization_id, post.author_id, post.current_step_id) == (
        personas.organization.pk,
        personas.editor.pk,
        None,
    )
    with organization_scope(personas.other_organization):
        assert not Post.objects.exists()


def test_patch_cannot_change_status_or_organisation(personas, editor):
    """T9 on updates."""
    post = make_post(personas)
    body = {"title": "Renamed", "status": "approved", "approved_revision": 1, "organization": "globex"}
    response = editor.patch(detail(post), body, format="json")
    assert response.status_code == 200, response.json()
    with organization_scope(personas.organization):
        post.refresh_from_db()
    assert (post.title, post.status, post.approved_revision) == ("Renamed", Post.Status.DRAFT, None)
    assert post.organization_id == personas.organization.pk


@pytest.mark.parametrize("field", ["topics", "programmes"])
def test_ids_of_another_organisation_are_a_field_error_and_create_nothing(personas, editor, library, field):
    """T6: a topic or programme of globex cannot be attached to an acme post."""
    foreign = library["secret"] if field == "topics" else library["hidden"]
    response = editor.post(POSTS, payload(library, **{field: [foreign.pk]}), format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == [field]
    with organization_scope(personas.organization):
        assert not Post.objects.exists()
        assert not PostTopic.objects.exists()
        assert not PostProgramme.objects.exists()
    with organization_scope(personas.other_organization):
        assert not Post.objects.exists()


def test_patch_with_an_id_of_another_organisation_changes_nothing(personas, editor, library):
    post = make_post(personas, topics=[library["careers"]])
    response = editor.patch(detail(post), {"topics": [library["secret"].pk], "title": "X"}, format="json")
    assert_json_error(response, 400)
    assert "topics" in response.json()["errors"]
    with organization_scope(personas.organization):
        post.refresh_from_db()
        assert post.title == "Launch"
        assert list(post.topics.all()) == [library["careers"]]


def test_an_x_variant_over_280_characters_is_refused_naming_the_variant(personas, editor, library):
    variants = [{"network": "linkedin", "text": "Fine"}, {"network": "x", "text": LONG_X}]
    response = editor.post(POSTS, payload(library, variants=variants), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_json_error(response, 400)
    assert response.json()["errors"] == {"variants": ["Variant 2 (X): X allows 280 characters; this variant has 300."]}
    response = editor.post(POSTS, payload(library, variants=variants), format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["errors"] == {
        "variants": ["Variante 2 (X) : X autorise 280 caractères ; cette variante en compte 300."]
    }
    with organization_scope(personas.organization):
        assert not Post.objects.exists()


def test_a_long_linkedin_variant_is_fine_under_3000(personas, editor, library):
    variants = [{"network": "linkedin", "text": LONG_X}]
    assert editor.post(POSTS, payload(library, variants=variants), format="json").status_code == 201


def test_unknown_network_is_a_field_error(personas, editor, library):
    response = editor.post(POSTS, payload(library, variants=[{"network": "myspace", "text": "Hi"}]), format="json")
    assert_json_error(response, 400)
    assert "variants" in response.json()["errors"]


def test_expiry_before_publish_is_a_field_error(personas, editor, library):
    body = payload(library, publish_at="2031-05-01T09:00:00Z", expires_at="2031-04-01T09:00:00Z")
    response = editor.post(POSTS, body, format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["expires_at"]


def test_patching_the_publish_date_past_the_stored_expiry_is_a_field_error(personas, editor):
    publish = timezone.now() + dt.timedelta(days=1)
    post = make_post(personas, publish_at=publish, expires_at=publish + dt.timedelta(days=2))
    later = (publish + dt.timedelta(days=10)).isoformat()
    response = editor.patch(detail(post), {"publish_at": later, "revision": 1}, format="json")
    assert_json_error(response, 400)
    assert "expires_at" in response.json()["errors"]


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://example.com/file", "not a link", "http://"])
def test_a_bad_link_is_a_field_error(personas, editor, library, link):
    response = editor.post(POSTS, payload(library, link=link), format="json")
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["link"]


def test_a_job_offer_names_its_referral_parameter(personas, editor, library):
    response = editor.post(POSTS, payload(library, referral_parameter="ref"), format="json")
    assert response.status_code == 201 and response.json()["referral_parameter"] == "ref"
    with organization_scope(personas.organization):
        assert Post.objects.get(pk=response.json()["id"]).referral_parameter == "ref"

    refused = editor.post(POSTS, payload(library, referral_parameter="ref code&x"), format="json")
    assert_json_error(refused, 400)
    assert list(refused.json()["errors"]) == ["referral_parameter"]


def test_missing_title_is_a_field_error(personas, editor, library):
    body = payload(library)
    del body["title"]
    response = editor.post(POSTS, body, format="json")
    assert_json_error(response, 400)
    assert "title" in response.json()["errors"]


def test_patch_with_the_current_revision_saves_and_replaces_variants(personas, editor):
    post = make_post(personas, variants=[services.VariantInput(network=Network.LINKEDIN, text="Old")])
    body = {"title": "New title", "revision": 1, "variants": [{"network": "x", "text": "Short and sweet"}]}
    response = editor.patch(detail(post), body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "New title"
    assert [(v["network"], v["text"]) for v in response.json()["variants"]] == [("x", "Short and sweet")]


def test_patch_without_variants_keeps_them(personas, editor):
    post = make_post(personas, variants=[services.VariantInput(network=Network.LINKEDIN, text="Keep me")])
    response = editor.patch(detail(post), {"note": "New angle"}, format="json")
    assert response.status_code == 200, response.json()
    assert [v["text"] for v in response.json()["variants"]] == ["Keep me"]


def test_patch_of_a_stale_revision_is_a_409_and_saves_nothing(personas, editor):
    post = make_post(personas)
    with organization_scope(personas.organization):
        services.post_update(post=post, by=personas.admin, title="Changed by the admin")
        post.refresh_from_db()
    assert post.revision == 2
    response = editor.patch(detail(post), {"title": "Mine", "revision": 1}, format="json")
    assert_json_error(response, 409)
    assert response.json()["code"] == "stale"
    with organization_scope(personas.organization):
        post.refresh_from_db()
    assert post.title == "Changed by the admin"


def test_delete_is_not_offered(personas, editor):
    post = make_post(personas)
    assert_json_error(editor.delete(detail(post)), 405)
    assert_json_error(editor.put(detail(post), {"title": "X"}, format="json"), 405)


def test_retrieve_shows_one_post(personas, editor, library):
    post = make_post(personas, topics=[library["events"]], programmes=[library["tech"]])
    response = editor.get(detail(post))
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"], body["topics"], body["programmes"]) == (
        post.pk,
        "Launch",
        [library["events"].pk],
        [library["tech"].pk],
    )


def test_a_post_of_another_organisation_is_not_found(personas, editor):
    with organization_scope(personas.other_organization):
        foreign = services.post_create(organization=personas.other_organization, author=None, title="Secret")
    assert_json_error(editor.get(detail(foreign)), 404)
    assert_json_error(editor.patch(detail(foreign), {"title": "Mine"}, format="json"), 404)
    with organization_scope(personas.other_organization):
        assert Post.objects.get(pk=foreign.pk).title == "Secret"


# -- list, filters -------------------------------------------------------------------------------------------------


def test_list_filters_search_and_ordering(personas, editor, library):
    hiring = make_post(
        personas,
        title="We are hiring",
        topics=[library["careers"]],
        variants=[services.VariantInput(network=Network.X, text="Join us")],
        publish_at=timezone.now() + dt.timedelta(days=3),
    )
    fair = make_post(
        personas,
        title="Trade fair",
        topics=[library["events"]],
        programmes=[library["tech"]],
        variants=[services.VariantInput(network=Network.LINKEDIN, text="Meet us at the fair")],
        publish_at=timezone.now() + dt.timedelta(days=30),
    )
    with organization_scope(personas.other_organization):
        services.post_create(organization=personas.other_organization, author=None, title="We are hiring too")

    def ids(**params):
        response = editor.get(POSTS, params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert sorted(ids()) == sorted([hiring.pk, fair.pk])
    assert ids(q="hiring") == [hiring.pk]
    assert ids(q="the fair") == [fair.pk]
    assert ids(topic=library["events"].pk) == [fair.pk]
    assert ids(programme=library["tech"].pk) == [fair.pk]
    assert ids(network="x") == [hiring.pk]
    assert ids(status="draft", ordering="title") == [fair.pk, hiring.pk]
    assert ids(status="approved") == []
    assert ids(ordering="title") == [fair.pk, hiring.pk]
    assert ids(ordering="publish_at") == [hiring.pk, fair.pk]
    assert ids(ordering="-publish_at") == [fair.pk, hiring.pk]
    assert ids(author=personas.editor.pk, ordering="title") == [fair.pk, hiring.pk]
    assert ids(author=personas.admin.pk) == []
    in_ten_days = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    assert ids(date_from=in_ten_days) == [fair.pk]
    assert ids(date_to=in_ten_days) == [hiring.pk]


@pytest.mark.parametrize(
    "params",
    [{"status": "live"}, {"network": "myspace"}, {"ordering": "password"}, {"date_from": "yesterday"}, {"topic": "x"}],
    ids=str,
)
def test_invalid_filters_are_a_400(personas, editor, params):
    assert_json_error(editor.get(POSTS, params), 400)


def test_filtering_on_a_topic_of_another_organisation_is_a_400(personas, editor, library):
    response = editor.get(POSTS, {"topic": library["secret"].pk})
    assert_json_error(response, 400)
    assert list(response.json()["errors"]) == ["topic"]


def _seed(organization, count, topics, programme):
    """``count`` posts with two variants, a topic and a programme each, in bulk (services are too slow for 2,000)."""
    with organization_scope(organization):
        posts = Post.objects.bulk_create(
            [Post(organization=organization, title=f"Post {n}", link="https://example.com/") for n in range(count)]
        )
        PostVariant.objects.bulk_create(
            PostVariant(organization=organization, post=post, network=network, text=f"{network} {post.pk}")
            for post in posts
            for network in (Network.LINKEDIN, Network.X)
        )
        PostTopic.objects.bulk_create(
            PostTopic(organization=organization, post=post, topic=topics[n % len(topics)])
            for n, post in enumerate(posts)
        )
        PostProgramme.objects.bulk_create(
            PostProgramme(organization=organization, post=post, programme=programme) for post in posts
        )


def test_list_runs_a_bounded_number_of_queries(personas, editor, library):
    """2 organisations × 1,000 posts: the page costs the same few queries as a page of 3 posts."""
    acme_topics = [library["careers"], library["events"]]
    _seed(personas.organization, 3, acme_topics, library["tech"])
    with CaptureQueriesContext(connection) as small:
        response = editor.get(POSTS)
    assert response.json()["count"] == 3
    _seed(personas.organization, 997, acme_topics, library["tech"])
    _seed(personas.other_organization, 1000, [library["secret"]], library["hidden"])
    with CaptureQueriesContext(connection) as large:
        response = editor.get(POSTS)
    body = response.json()
    assert body["count"] == 1000
    assert len(body["results"]) == 50
    assert all(len(row["variants"]) == 2 and len(row["topics"]) == 1 for row in body["results"])
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 12, [q["sql"] for q in large.captured_queries]
    with organization_scope(personas.organization):
        acme_ids = set(Post.objects.values_list("pk", flat=True))
    assert {row["id"] for row in body["results"]} <= acme_ids


# -- who may call ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.EDITOR, True), (Role.APPROVER, False), (Role.MANAGER, False), (Role.AMBASSADOR, False)],
)
def test_role_matrix(personas, library, role, allowed):
    post = make_post(personas)
    client = client_for(getattr(personas, role.value))
    responses = {
        "list": client.get(POSTS).status_code,
        "get": client.get(detail(post)).status_code,
        "create": client.post(POSTS, payload(library), format="json").status_code,
        "update": client.patch(detail(post), {"title": "Renamed", "status": "approved"}, format="json").status_code,
    }
    if allowed:
        assert responses == {"list": 200, "get": 200, "create": 201, "update": 200}
    else:
        assert set(responses.values()) == {403}
        with organization_scope(personas.organization):
            assert list(Post.objects.values_list("title", "status")) == [("Launch", Post.Status.DRAFT)]


def test_editor_token_creates_posts_and_ambassador_token_is_refused(personas, library):
    editor = token_client(make_token(personas.organization, Role.EDITOR))
    response = editor.post(POSTS, payload(library), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["author"] is None
    ambassador = token_client(make_token(personas.organization, Role.AMBASSADOR))
    assert_json_error(ambassador.get(POSTS), 403)
    assert_json_error(ambassador.post(POSTS, payload(library, title="Nope"), format="json"), 403)
    with organization_scope(personas.organization):
        assert Post.objects.count() == 1


def test_anonymous_gets_401(personas):
    post = make_post(personas)
    assert_json_error(APIClient().get(POSTS), 401)
    assert_json_error(APIClient().get(detail(post)), 401)
    assert_json_error(APIClient().post(POSTS, {"title": "X"}, format="json"), 401)


def test_session_post_without_csrf_token_is_refused(personas, library):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(personas.editor)
    assert_json_error(client.post(POSTS, payload(library), format="json"), 403)
    with organization_scope(personas.organization):
        assert not Post.objects.exists()


def test_outsider_gets_the_same_404_as_for_an_unknown_organisation(personas, library):
    post = make_post(personas)
    client = client_for(personas.outsider)
    for method, path, body in [
        ("get", POSTS, None),
        ("post", POSTS, payload(library)),
        ("get", detail(post), None),
        ("patch", detail(post), {"title": "Mine"}),
    ]:
        response = getattr(client, method)(path, body, format="json")
        unknown = getattr(client, method)(path.replace("/acme/", "/no-such-org/"), body, format="json")
        assert_json_error(response, 404)
        assert response.json() == unknown.json()
    with organization_scope(personas.organization):
        assert list(Post.objects.values_list("title", flat=True)) == ["Launch"]
