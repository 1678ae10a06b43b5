"""Uploaded files are served to the members of their organisation only (T11), from the configured storage, and the
pages that show a post or the organisation show its image and logo through that address."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.test import Client
from storages.backends.s3 import S3Storage

from advocacy.media import media_url
from advocacy.models import Membership
from advocacy.settings.env import env_choice, media_storage
from advocacy.tenancy import organization_scope
from content import services
from content.models import Post
from tests.advocacy.test_settings import _prod_env, _python
from tests.conftest import org_url
from tests.content.factories import PostFactory
from tests.images import decode, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def post(personas) -> Post:
    """A live post of Acme with an image in the storage."""
    with organization_scope(personas.organization):
        post = PostFactory(organization=personas.organization, status=Post.Status.APPROVED, title="Plant opening")
        post.image.save("image.png", ContentFile(png()))
    return post


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_member_gets_the_post_image_from_the_storage(personas, post):
    url = media_url(personas.organization, post.image.name)
    assert url.startswith(f"/o/{personas.organization.slug}/media/posts/")

    response = _client(personas.ambassador).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=86400"
    with default_storage.open(post.image.name, "rb") as stored:
        assert _body(response) == stored.read()


def test_the_image_of_a_post_a_member_may_not_see_answers_as_a_missing_file(personas):
    with organization_scope(personas.organization):
        draft = PostFactory(organization=personas.organization, status=Post.Status.DRAFT, title="Not announced yet")
        draft.image.save("secret.png", ContentFile(png()))
    url = media_url(personas.organization, draft.image.name)
    missing = url.replace("secret", "nothing-here")

    ambassador = _client(personas.ambassador)
    assert ambassador.get(url).status_code == ambassador.get(missing).status_code == 404
    assert _client(personas.editor).get(url).status_code == 200


def test_an_outsider_gets_404_on_another_organisations_media(personas, post):
    url = media_url(personas.organization, post.image.name)
    relative = url.split("/media/", 1)[1]
    outsider = _client(personas.outsider)

    assert outsider.get(url).status_code == 404
    # The same file asked for under the outsider's own organisation names a file of theirs, which does not exist.
    assert outsider.get(f"/o/{personas.other_organization.slug}/media/{relative}").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(personas, post):
    url = media_url(personas.organization, post.image.name)
    response = _client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "posts/../branding/x.png",
        "posts/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "posts/..%2f..%2f..%2fsettings.py",
        "posts//image.png",
        "posts/./image.png",
        "posts/a%5c..%5cimage.png",
        "posts/a%00/image.png",
        "../../../etc/passwd",
        "%2fetc%2fpasswd",
    ],
)
def test_path_traversal_is_refused(personas, post, path):
    assert _client(personas.admin).get(f"/o/{personas.organization.slug}/media/{path}").status_code == 404


def test_only_files_that_a_row_names_are_served(personas, post):
    """A file in the organisation's folder that no post or logo names (left over, or written by something else) is
    not served, nor is a post image after it was replaced."""
    prefix = f"org/{personas.organization.pk}/"
    stray = default_storage.save(prefix + "posts/stray/image.png", ContentFile(png()))
    admin = _client(personas.admin)
    assert admin.get(media_url(personas.organization, stray)).status_code == 404

    old_url = media_url(personas.organization, post.image.name)
    with organization_scope(personas.organization):
        post.image.save("image.png", ContentFile(png((4, 4))))
    assert admin.get(old_url).status_code == 404
    assert admin.get(media_url(personas.organization, post.image.name)).status_code == 200


def test_the_logo_is_served_to_members_only(personas):
    organization = personas.organization
    organization.logo.save("logo.png", ContentFile(png()))
    url = media_url(organization, organization.logo.name)
    assert url.startswith(f"/o/{organization.slug}/media/branding/")

    assert _client(personas.ambassador).get(url).status_code == 200
    assert _client(personas.outsider).get(url).status_code == 404


def test_media_answers_only_reads(personas, post):
    url = media_url(personas.organization, post.image.name)
    assert _client(personas.admin).post(url).status_code == 405


def test_behind_nginx_the_file_is_handed_over_with_x_accel_redirect(personas, post, settings):
    settings.RELAIS_MEDIA_DELIVERY = "x-accel"
    settings.RELAIS_MEDIA_ACCEL_PREFIX = "/protected-media/"

    response = _client(personas.ambassador).get(media_url(personas.organization, post.image.name))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{post.image.name}"
    assert response["Content-Type"] == "image/png"
    assert response.content == b""
    # The check still holds: the outsider is not handed the file.
    assert _client(personas.outsider).get(media_url(personas.organization, post.image.name)).status_code == 404


def test_with_a_bucket_members_are_redirected_to_a_short_lived_signed_url(personas, post, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "relais-media",
                "endpoint_url": "http://127.0.0.1:9",
                "region_name": "eu-west-3",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "addressing_style": "path",
                "querystring_expire": 300,
                "default_acl": None,
                "custom_domain": None,
            },
        },
    }
    settings.RELAIS_MEDIA_DELIVERY = "redirect"
    assert isinstance(storages["default"], S3Storage)

    response = _client(personas.ambassador).get(media_url(personas.organization, post.image.name))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"http://127.0.0.1:9/relais-media/{post.image.name}?")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert response["Cache-Control"] == "private, no-store"
    assert _client(personas.outsider).get(media_url(personas.organization, post.image.name)).status_code == 404


def test_the_storage_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("RELAIS_MEDIA_S3_BUCKET", raising=False)
    assert media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}

    monkeypatch.setenv("RELAIS_MEDIA_S3_BUCKET", "relais-media")
    monkeypatch.setenv("RELAIS_MEDIA_S3_ENDPOINT_URL", "https://s3.fr-par.scw.cloud")
    monkeypatch.setenv("RELAIS_MEDIA_S3_REGION", "fr-par")
    storage = media_storage()
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "relais-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.fr-par.scw.cloud"
    assert storage["OPTIONS"]["region_name"] == "fr-par"
    assert storage["OPTIONS"]["default_acl"] is None  # private objects
    assert storage["OPTIONS"]["querystring_auth"] is True


def test_production_reads_the_storage_and_the_delivery_from_the_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.STORAGES['default']['BACKEND'], s.STORAGES['staticfiles']['BACKEND'], s.RELAIS_MEDIA_DELIVERY)"
    )
    volume = _python(code, _prod_env(tmp_path))
    bucket = _python(code, _prod_env(tmp_path, RELAIS_MEDIA_S3_BUCKET="relais-media"))
    behind_nginx = _python(code, _prod_env(tmp_path, RELAIS_MEDIA_DELIVERY="x-accel"))

    whitenoise = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert volume.stdout.split() == ["django.core.files.storage.FileSystemStorage", whitenoise, "django"], volume.stderr
    assert bucket.stdout.split() == ["storages.backends.s3.S3Storage", whitenoise, "redirect"], bucket.stderr
    assert behind_nginx.stdout.split()[-1] == "x-accel", behind_nginx.stderr


def test_an_unknown_delivery_refuses_to_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("RELAIS_MEDIA_DELIVERY", "sendfile")
    with pytest.raises(ImproperlyConfigured, match="RELAIS_MEDIA_DELIVERY"):
        env_choice("RELAIS_MEDIA_DELIVERY", ("django", "x-accel", "redirect"), "django")


# --- The pages show the images ---------------------------------------------------------------------------------


def test_the_library_shows_a_thumbnail_of_each_posts_image(personas, post):
    body = _client(personas.editor).get(org_url("content_library", personas)).content.decode()
    assert f'src="{media_url(personas.organization, post.image.name)}?size=thumb"' in body
    assert "post-thumb" in body


def test_the_thumbnail_is_a_small_copy_made_once_and_kept_in_the_storage(personas):
    with organization_scope(personas.organization):
        post = PostFactory(organization=personas.organization, status=Post.Status.APPROVED)
        post.image.save("image.png", ContentFile(png((800, 400))))
    url = media_url(personas.organization, post.image.name) + "?size=thumb"
    member = _client(personas.ambassador)

    first = member.get(url)

    assert first.status_code == 200
    assert first["Content-Type"] == "image/webp"
    thumbnail = _body(first)
    assert decode(thumbnail).size == (160, 80)
    assert default_storage.exists(post.image.name + ".thumb.webp")
    assert _body(member.get(url)) == thumbnail
    folder = post.image.name.rsplit("/", 1)[0]
    assert sorted(default_storage.listdir(folder)[1]) == ["image.png", "image.png.thumb.webp"]  # made once
    assert _client(personas.outsider).get(url).status_code == 404


@pytest.mark.parametrize("page", ["post_detail", "post_edit"])
def test_the_post_page_and_the_editor_show_the_image(personas, post, page):
    body = _client(personas.editor).get(org_url(page, personas, post.pk)).content.decode()
    assert f'src="{media_url(personas.organization, post.image.name)}"' in body


def test_the_composer_shows_the_posts_image_as_a_thumbnail(personas, post):
    body = _client(personas.ambassador).get(org_url("composer", personas, post.pk)).content.decode()
    assert f'src="{media_url(personas.organization, post.image.name)}?size=thumb"' in body


def test_the_approver_sees_the_image_on_the_decision_page(personas):
    organization = personas.organization
    with organization_scope(organization):
        approver = Membership.objects.get(user=personas.approver)
        services.policy_create(
            organization=organization,
            name="Legal",
            by=personas.admin,
            is_default=True,
            steps=[services.StepInput(name="Legal", approver_ids=(approver.pk,))],
        )
        post = services.post_create(
            organization=organization,
            author=personas.editor,
            title="We won an award",
            link="https://news.acme.test/award",
            image=ContentFile(png(), name="image.png"),
            variants=[services.VariantInput(network="linkedin", text="Proud of the team")],
        )
        services.post_submit(post=post, by=personas.editor)
    approver_client = _client(personas.approver)
    src = media_url(organization, post.image.name)

    assert f'src="{src}"' in approver_client.get(org_url("approval_decide", personas, post.pk)).content.decode()
    assert approver_client.get(src).status_code == 200


def test_the_organisation_logo_shows_in_the_header_and_the_settings(personas):
    organization = personas.organization
    organization.logo.save("logo.png", ContentFile(png()))
    src = f'src="{media_url(organization, organization.logo.name)}"'

    assert src in _client(personas.ambassador).get(org_url("shares", personas)).content.decode()
    assert src in _client(personas.admin).get(org_url("org_settings", personas)).content.decode()


def test_the_api_gives_the_members_only_address_of_the_image(personas, post):
    response = _client(personas.editor).get(f"/api/v1/o/{personas.organization.slug}/posts/{post.pk}/")
    assert response.status_code == 200
    assert response.json()["image"] == "http://testserver" + media_url(personas.organization, post.image.name)
