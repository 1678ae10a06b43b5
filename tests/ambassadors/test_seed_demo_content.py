"""The demo content command: something to share in the embedded demo, created once."""

import pytest
from django.core.management import CommandError, call_command

from advocacy.models import Organization
from advocacy.tenancy import organization_scope
from charter.models import CharterVersion
from content.models import Post


@pytest.mark.django_db
def test_it_publishes_the_charter_and_live_posts_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_content", verbosity=0)
    call_command("seed_demo_content", verbosity=0)

    organization = Organization.objects.get(slug="demo")
    with organization_scope(organization):
        assert CharterVersion.objects.filter(status=CharterVersion.Status.PUBLISHED).count() == 1
        posts = list(Post.objects.prefetch_related("variants", "topics"))
        assert len(posts) == 3
        assert all(post.is_live_at() for post in posts)
        assert all({v.network for v in post.variants.all()} == {"linkedin", "x"} for post in posts)
        # The feed's filters, the profile's interests and each card's angle have something to show.
        assert len({topic.name for post in posts for topic in post.topics.all()}) == 3
        assert all(post.note for post in posts)
        assert [post.title for post in posts if post.featured] == [
            "Nous recrutons 30 développeuses et développeurs à Lyon"
        ]


@pytest.mark.django_db
def test_it_needs_the_demo_organisation_first():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_content", "--org", "nowhere", verbosity=0)
