"""The ambassador-side data of bench/feed.py and of the feed's query-count test: two organisations sharing 1,000 live
posts (with two suggested texts and a topic each) and 5,000 shares between their members, written in bulk.

Run inside a database a test or a benchmark owns; returns what the caller needs to sign in and open pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

SLUGS = ("feed-a", "feed-b")


@dataclass(frozen=True)
class FeedWorld:
    organization_slug: str
    ambassador_email: str
    ambassador_id: int
    post_id: int
    password: str


def seed_feed(
    *, posts: int = 1000, shares: int = 5000, members: int = 40, password: str = "bench-password"
) -> FeedWorld:
    """``posts`` and ``shares`` in all, split between the two organisations; the first organisation's first
    ambassador has accepted the charter and made a share of every tenth post."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from advocacy.models import Membership, Organization, User
    from advocacy.roles import Role
    from advocacy.tenancy import organization_scope
    from ambassadors.models import Share
    from charter.services import charter_accept, charter_draft_save, charter_publish
    from content.models import Post, PostTopic, PostVariant, Topic

    hashed = make_password(password)
    now = timezone.now()
    statuses = [Share.Status.PUBLISHED, Share.Status.SCHEDULED, Share.Status.MANUAL, Share.Status.CANCELLED]
    first: FeedWorld | None = None
    for slug in SLUGS:
        organization = Organization.objects.create(slug=slug, name=slug.upper(), language="en")
        users = User.objects.bulk_create(
            User(email=f"member{n}@{slug}.test", full_name=f"Member {n} of {slug}", password=hashed)
            for n in range(members)
        )
        with organization_scope(organization):
            memberships = Membership.objects.bulk_create(
                Membership(organization=organization, user=user, role=Role.ADMIN if n == 0 else Role.AMBASSADOR)
                for n, user in enumerate(users)
            )
            admin, ambassador = memberships[0], memberships[1]
            draft = charter_draft_save(
                organization=organization,
                by=admin.user,
                title="Charter",
                body="Share only what is public.",
                summary_of_changes="",
                requires_reacceptance=True,
            )
            version = charter_publish(version=draft, by=admin.user)
            charter_accept(membership=ambassador, version=version, ip="198.51.100.1", user_agent="bench")
            topics = Topic.objects.bulk_create(Topic(organization=organization, name=f"Topic {n}") for n in range(10))
            rows = Post.objects.bulk_create(
                Post(
                    organization=organization,
                    title=f"Post {n} of {slug}",
                    link=f"https://example.com/{slug}/{n}",
                    note="Why it matters, and the angle to take.",
                    status=Post.Status.APPROVED,
                    approved_revision=1,
                    approved_at=now - dt.timedelta(minutes=n),
                    featured=n % 25 == 0,
                    author=admin.user,
                )
                for n in range(posts // len(SLUGS))
            )
            PostVariant.objects.bulk_create(
                PostVariant(organization=organization, post=post, network=network, text=f"{text} {post.title}")
                for post in rows
                for network, text in (("linkedin", "Proud of this news:"), ("x", "News:"))
            )
            PostTopic.objects.bulk_create(
                PostTopic(organization=organization, post=post, topic=topics[n % len(topics)])
                for n, post in enumerate(rows)
            )
            per_organization = shares // len(SLUGS)
            Share.objects.bulk_create(
                Share(
                    organization=organization,
                    membership=ambassador if n % 10 == 0 else memberships[1 + n % (members - 1)],
                    post=rows[n % len(rows)],
                    network="linkedin" if n % 2 else "x",
                    text=f"My words on {rows[n % len(rows)].title}",
                    status=statuses[n % len(statuses)],
                    scheduled_at=now - dt.timedelta(hours=n),
                )
                for n in range(per_organization)
            )
        if first is None:
            first = FeedWorld(slug, ambassador.user.email, ambassador.user.pk, rows[1].pk, password)
    assert first is not None
    return first
