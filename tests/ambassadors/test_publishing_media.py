"""The publishing worker reads a post's image through the storage API, whatever the storage is (a folder, a bucket),
and hands those bytes to the network; it never opens a local path."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from advocacy.models import Membership
from advocacy.tenancy import organization_scope
from ambassadors.tasks.publishing import publish_share
from content.models import Post
from tests.ambassadors.factories import ShareFactory, connect_on
from tests.charter.factories import CharterAcceptanceFactory
from tests.content.factories import PostFactory
from tests.images import png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage_without_local_paths(settings):
    """Uploads in memory: a storage with no file on disk, as a bucket is, so only the storage API can read them."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.RELAIS_PUBLISH_INTERVAL_SECONDS = {"linkedin": 0.0, "x": 0.0}


@pytest.fixture
def member(personas) -> Membership:
    with organization_scope(personas.organization):
        membership = Membership.objects.select_related("user", "organization").get(user=personas.ambassador)
        CharterAcceptanceFactory(organization=personas.organization, membership=membership)
    return membership


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_the_worker_attaches_the_image_read_from_the_storage(request, settings, network, member):
    fake = request.getfixturevalue(f"fake_{network}")
    if network == "linkedin":
        fake.set_knob("image_processing_seconds", 0)
    image = png((40, 20))
    with organization_scope(member.organization):
        connection = connect_on(fake, member)
        post = PostFactory(organization=member.organization, status=Post.Status.APPROVED, title="Q3")
        post.image.save("image.png", ContentFile(image))
        share = ShareFactory(
            organization=member.organization, membership=member, post=post, network=network, connection=connection
        )
    assert default_storage.exists(post.image.name)
    assert not (Path(settings.MEDIA_ROOT) / post.image.name).exists()  # nothing on disk behind the storage's back

    assert publish_share(organization_id=share.organization_id, share_id=share.pk) == "published"

    [received] = fake.live_posts()
    if network == "linkedin":
        [upload] = fake.images.values()
        assert upload.size == len(image)
        assert received.image == upload.urn
    else:
        assert len(fake.requests_to("POST", "/2/media/upload")) == 1
        assert len(received.media_ids) == 1
